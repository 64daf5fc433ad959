/**
 * The form in which a password is compared with the common-password list: NFKC folds look-alike and
 * compatibility characters ("ｐａｓｓｗｏｒｄ" is "password"), lower case folds "PassWord1". The bundled
 * list is built with this same function, so the two can never drift apart.
 */
export function normalisePassword(password: string): string {
  return password.normalize('NFKC').toLowerCase();
}
