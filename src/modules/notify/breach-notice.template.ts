/**
 * The notice to a person whose data was in a breach, in their language. Its headings are California's
 * model form (What Happened, What Information Was Involved, What We Are Doing, What You Can Do, For More
 * Information), which also covers what GDPR Art. 34, PIPEDA, PIPA, LGPD and DPDP ask a notice to say.
 * It names kinds of data, never the data, and holds no link that signs anyone in.
 */

/** What respond asks notify to tell one person. */
export interface BreachNoticeMessage {
  readonly template: 'breach_notice';
  readonly incidentId: string;
  readonly language: string;
  /** Kinds of this person's data that were exposed (field categories). */
  readonly categories: readonly string[];
  /** The window in which the data was read. */
  readonly periodFrom: Date | null;
  readonly periodTo: Date | null;
  readonly awareAt: Date;
  readonly noticeDate: Date;
  readonly contact: { readonly organisation: string; readonly email: string; readonly phone: string | null };
  /** Whether the reader has an anti-phishing phrase (shown at the top of the e-mail, never in-app). */
  readonly hasPhrase?: boolean;
}

interface Locale {
  readonly subject: string;
  readonly headings: readonly [string, string, string, string, string];
  readonly happened: (from: string, to: string, aware: string) => string;
  readonly involved: (kinds: string) => string;
  /** The likely consequences (GDPR Art. 34(2), LGPD Art. 9, DPDP r. 7(1)). */
  readonly risks: string;
  readonly notPassword: string;
  readonly doing: string;
  readonly youCan: string;
  readonly phraseShown: string;
  readonly phraseMissing: string;
  readonly more: (contact: string, reference: string, date: string) => string;
  readonly kinds: Readonly<Record<string, string>>;
  readonly unknown: string;
}

const LOCALES: Readonly<Record<string, Locale>> = {
  en: {
    subject: 'Notice of Data Breach',
    headings: [
      'What Happened',
      'What Information Was Involved',
      'What We Are Doing',
      'What You Can Do',
      'For More Information',
    ],
    happened: (from, to, aware) =>
      `Between ${from} and ${to}, someone without a legitimate reason viewed personal data of some Bulwark customers, including yours. We detected it on ${aware}.`,
    involved: (kinds) => `These kinds of your data were viewed: ${kinds}.`,
    risks:
      'Someone holding these details could use them for phishing messages, scam calls or parcel fraud that mention your orders.',
    notPassword: 'Your password and payment details were not exposed.',
    doing:
      'We cut off the access as soon as we detected it, traced every record it touched in our tamper-evident audit trail, and are informing the data protection authorities that must be told.',
    youCan:
      'Change your Bulwark password, and any other password that is the same; turn on two-step sign-in; be wary of messages, calls or parcels that mention your orders. We will never ask for your password, and this notice contains no link to sign in.',
    phraseShown: 'Genuine Bulwark e-mails always show your anti-phishing phrase at the top.',
    phraseMissing:
      'Set an anti-phishing phrase under Security: every genuine Bulwark e-mail will show it, so you can tell our messages from fakes.',
    more: (contact, reference, date) =>
      `Questions: ${contact}. Please quote ${reference}. Date of this notice: ${date}.`,
    kinds: {
      identity: 'your name',
      contact: 'your e-mail address and phone number',
      address: 'your delivery addresses',
      network: 'IP addresses you used',
      order_content: 'notes and options on your orders',
      credentials: 'your sign-in credentials',
      financial: 'financial details',
      government_id: 'identity-document numbers',
    },
    unknown: 'other account details',
  },
  zh: {
    subject: '数据泄露通知',
    headings: ['发生了什么', '涉及哪些信息', '我们正在采取的措施', '您可以做什么', '更多信息'],
    happened: (from, to, aware) =>
      `在 ${from} 至 ${to} 期间，有人在没有正当理由的情况下查看了部分 Bulwark 客户（包括您）的个人信息。我们于 ${aware} 发现此事。`,
    involved: (kinds) => `被查看的您的信息类型：${kinds}。`,
    risks: '掌握这些信息的人可能会利用它们发送钓鱼信息、拨打诈骗电话，或以您的订单为由实施包裹诈骗。',
    notPassword: '您的密码和支付信息没有泄露。',
    doing:
      '我们在发现后立即切断了该访问，在防篡改审计日志中追查了其接触的每一条记录，并正在通知依法应当通知的数据保护监管机构。',
    youCan:
      '请修改您的 Bulwark 密码以及与之相同的其他密码；开启两步登录；警惕提及您订单的信息、电话或包裹。我们绝不会索要您的密码，本通知也不包含任何登录链接。',
    phraseShown: '真正来自 Bulwark 的邮件都会在顶部显示您的防钓鱼短语。',
    phraseMissing: '请在“安全”中设置防钓鱼短语：每封真正来自 Bulwark 的邮件都会显示它，帮助您识别仿冒信息。',
    more: (contact, reference, date) => `如有疑问：${contact}。请注明编号 ${reference}。通知日期：${date}。`,
    kinds: {
      identity: '您的姓名',
      contact: '您的电子邮箱和电话号码',
      address: '您的收货地址',
      network: '您使用过的 IP 地址',
      order_content: '订单备注和选项',
      credentials: '您的登录凭据',
      financial: '财务信息',
      government_id: '身份证件号码',
    },
    unknown: '其他账户信息',
  },
  ja: {
    subject: '個人データ漏えいに関するお知らせ',
    headings: ['発生した事態', '対象となった情報', '当社の対応', 'お客様にお願いしたいこと', 'お問い合わせ'],
    happened: (from, to, aware) =>
      `${from} から ${to} までの間、正当な理由のない者が、お客様を含む一部の Bulwark のお客様の個人データを閲覧しました。当社は ${aware} にこれを検知しました。`,
    involved: (kinds) => `閲覧されたお客様の情報の種類：${kinds}。`,
    risks:
      'これらの情報を持つ者が、ご注文に触れたフィッシングメッセージ、詐欺電話、荷物詐欺に悪用するおそれがあります。',
    notPassword: 'パスワードと決済情報は漏えいしていません。',
    doing:
      '検知後ただちにアクセスを遮断し、改ざん防止の監査記録で影響を受けたすべての記録を特定し、報告が必要な個人情報保護当局へ報告しています。',
    youCan:
      'Bulwark のパスワードと、同じパスワードを使っている他のサービスのパスワードを変更し、二段階認証を有効にしてください。ご注文に触れるメッセージ・電話・荷物にご注意ください。当社がパスワードを尋ねることはなく、このお知らせにログイン用のリンクはありません。',
    phraseShown: 'Bulwark からの本物のメールには、必ず冒頭にお客様のフィッシング対策フレーズが表示されます。',
    phraseMissing:
      '「セキュリティ」でフィッシング対策フレーズを設定してください。本物の Bulwark のメールにはすべて表示されるため、偽物を見分けられます。',
    more: (contact, reference, date) =>
      `お問い合わせ：${contact}。参照番号 ${reference} をお伝えください。通知日：${date}。`,
    kinds: {
      identity: 'お名前',
      contact: 'メールアドレスと電話番号',
      address: 'お届け先住所',
      network: 'ご利用の IP アドレス',
      order_content: 'ご注文のメモとオプション',
      credentials: 'ログイン情報',
      financial: '金融情報',
      government_id: '本人確認書類の番号',
    },
    unknown: 'その他のアカウント情報',
  },
  ko: {
    subject: '개인정보 유출 통지',
    headings: ['발생한 일', '유출된 정보', '당사의 조치', '고객님께서 하실 수 있는 일', '문의처'],
    happened: (from, to, aware) =>
      `${from}부터 ${to}까지 정당한 사유가 없는 자가 고객님을 포함한 일부 Bulwark 고객의 개인정보를 열람했습니다. 당사는 ${aware}에 이를 탐지했습니다.`,
    involved: (kinds) => `열람된 고객님의 정보 항목: ${kinds}.`,
    risks: '이 정보를 가진 사람이 주문을 언급하며 피싱 메시지, 사기 전화, 택배 사기에 악용할 수 있습니다.',
    notPassword: '비밀번호와 결제 정보는 유출되지 않았습니다.',
    doing:
      '탐지 즉시 해당 접근을 차단하고, 위변조 방지 감사 기록으로 영향받은 모든 기록을 추적했으며, 신고해야 하는 개인정보 보호 당국에 신고하고 있습니다.',
    youCan:
      'Bulwark 비밀번호와 같은 비밀번호를 쓰는 다른 계정의 비밀번호를 바꾸고, 2단계 인증을 켜 주십시오. 주문을 언급하는 메시지, 전화, 택배에 주의하십시오. 당사는 비밀번호를 묻지 않으며 이 통지에는 로그인 링크가 없습니다. 피해 구제를 위해 손해배상 청구 및 분쟁조정을 신청하실 수 있습니다.',
    phraseShown: '진짜 Bulwark 메일에는 항상 맨 위에 고객님의 피싱 방지 문구가 표시됩니다.',
    phraseMissing:
      '보안 설정에서 피싱 방지 문구를 정하십시오. 진짜 Bulwark 메일에는 항상 표시되어 가짜를 구별할 수 있습니다.',
    more: (contact, reference, date) =>
      `문의 및 피해 신고: ${contact}. 참조 번호 ${reference}. 통지일: ${date}.`,
    kinds: {
      identity: '이름',
      contact: '이메일 주소와 전화번호',
      address: '배송지 주소',
      network: '사용하신 IP 주소',
      order_content: '주문 메모와 옵션',
      credentials: '로그인 정보',
      financial: '금융 정보',
      government_id: '신분증 번호',
    },
    unknown: '기타 계정 정보',
  },
  pt: {
    subject: 'Aviso de incidente de segurança com dados pessoais',
    headings: [
      'O que aconteceu',
      'Quais dados foram envolvidos',
      'O que estamos fazendo',
      'O que você pode fazer',
      'Mais informações',
    ],
    happened: (from, to, aware) =>
      `Entre ${from} e ${to}, alguém sem motivo legítimo visualizou dados pessoais de alguns clientes da Bulwark, incluindo os seus. Tomamos conhecimento em ${aware}.`,
    involved: (kinds) => `Estes tipos de dados seus foram visualizados: ${kinds}.`,
    risks:
      'Quem tiver esses dados pode usá-los em mensagens de phishing, ligações de golpe ou fraudes com encomendas que citam seus pedidos.',
    notPassword: 'Sua senha e seus dados de pagamento não foram expostos.',
    doing:
      'Cortamos o acesso assim que o detectamos, rastreamos cada registro afetado em nossa trilha de auditoria inviolável e estamos comunicando as autoridades de proteção de dados que devem ser informadas. Os dados são protegidos por criptografia individual.',
    youCan:
      'Troque sua senha da Bulwark e qualquer outra senha igual; ative o login em duas etapas; desconfie de mensagens, ligações ou encomendas que mencionem seus pedidos. Nunca pediremos sua senha, e este aviso não contém link de login.',
    phraseShown: 'E-mails verdadeiros da Bulwark sempre mostram sua frase antiphishing no topo.',
    phraseMissing:
      'Defina uma frase antiphishing em Segurança: todo e-mail verdadeiro da Bulwark a mostrará, para você distinguir nossas mensagens de falsificações.',
    more: (contact, reference, date) =>
      `Dúvidas (encarregado de dados): ${contact}. Informe a referência ${reference}. Data deste aviso: ${date}.`,
    kinds: {
      identity: 'seu nome',
      contact: 'seu e-mail e telefone',
      address: 'seus endereços de entrega',
      network: 'endereços IP que você usou',
      order_content: 'observações e opções dos seus pedidos',
      credentials: 'suas credenciais de acesso',
      financial: 'dados financeiros',
      government_id: 'números de documentos de identidade',
    },
    unknown: 'outros dados da conta',
  },
  es: {
    subject: 'Aviso de violación de datos personales',
    headings: [
      'Qué ocurrió',
      'Qué información se vio afectada',
      'Qué estamos haciendo',
      'Qué puede hacer usted',
      'Más información',
    ],
    happened: (from, to, aware) =>
      `Entre el ${from} y el ${to}, alguien sin un motivo legítimo vio datos personales de algunos clientes de Bulwark, entre ellos los suyos. Lo detectamos el ${aware}.`,
    involved: (kinds) => `Se vieron estos tipos de datos suyos: ${kinds}.`,
    risks:
      'Quien tenga estos datos podría usarlos para mensajes de phishing, llamadas fraudulentas o estafas con paquetes que mencionen sus pedidos.',
    notPassword: 'Su contraseña y sus datos de pago no quedaron expuestos.',
    doing:
      'Cortamos el acceso en cuanto lo detectamos, rastreamos cada registro afectado en nuestro registro de auditoría inalterable e informamos a las autoridades de protección de datos que deben saberlo.',
    youCan:
      'Cambie su contraseña de Bulwark y cualquier otra contraseña igual; active el inicio de sesión en dos pasos; desconfíe de mensajes, llamadas o paquetes que mencionen sus pedidos. Nunca le pediremos su contraseña y este aviso no contiene enlaces para iniciar sesión.',
    phraseShown: 'Los correos auténticos de Bulwark siempre muestran su frase antiphishing al principio.',
    phraseMissing:
      'Configure una frase antiphishing en Seguridad: todos los correos auténticos de Bulwark la mostrarán, para distinguirlos de falsificaciones.',
    more: (contact, reference, date) =>
      `Consultas: ${contact}. Indique la referencia ${reference}. Fecha de este aviso: ${date}.`,
    kinds: {
      identity: 'su nombre',
      contact: 'su correo electrónico y teléfono',
      address: 'sus direcciones de entrega',
      network: 'direcciones IP que usó',
      order_content: 'notas y opciones de sus pedidos',
      credentials: 'sus credenciales de acceso',
      financial: 'datos financieros',
      government_id: 'números de documentos de identidad',
    },
    unknown: 'otros datos de la cuenta',
  },
  fr: {
    subject: 'Notification de violation de données personnelles',
    headings: [
      "Ce qui s'est passé",
      'Données concernées',
      'Ce que nous faisons',
      'Ce que vous pouvez faire',
      "Pour plus d'informations",
    ],
    happened: (from, to, aware) =>
      `Entre le ${from} et le ${to}, une personne sans motif légitime a consulté des données personnelles de clients de Bulwark, dont les vôtres. Nous l'avons détecté le ${aware}.`,
    involved: (kinds) => `Types de données vous concernant consultées : ${kinds}.`,
    risks:
      'Une personne qui détient ces informations pourrait s’en servir pour des messages d’hameçonnage, des appels frauduleux ou des arnaques aux colis citant vos commandes.',
    notPassword: "Votre mot de passe et vos données de paiement n'ont pas été exposés.",
    doing:
      "Nous avons coupé l'accès dès sa détection, retracé chaque donnée touchée dans notre journal d'audit infalsifiable, et informons les autorités de protection des données concernées.",
    youCan:
      'Changez votre mot de passe Bulwark et tout autre mot de passe identique ; activez la connexion en deux étapes ; méfiez-vous des messages, appels ou colis qui mentionnent vos commandes. Nous ne vous demanderons jamais votre mot de passe, et cette notification ne contient aucun lien de connexion.',
    phraseShown: 'Les vrais e-mails de Bulwark affichent toujours votre phrase anti-hameçonnage en haut.',
    phraseMissing:
      "Définissez une phrase anti-hameçonnage dans Sécurité : chaque vrai e-mail de Bulwark l'affichera, pour distinguer nos messages des imitations.",
    more: (contact, reference, date) =>
      `Questions (délégué à la protection des données) : ${contact}. Référence ${reference}. Date de cette notification : ${date}.`,
    kinds: {
      identity: 'votre nom',
      contact: 'votre adresse e-mail et votre numéro de téléphone',
      address: 'vos adresses de livraison',
      network: 'les adresses IP utilisées',
      order_content: 'les notes et options de vos commandes',
      credentials: 'vos identifiants de connexion',
      financial: 'des données financières',
      government_id: "des numéros de pièces d'identité",
    },
    unknown: 'd’autres données du compte',
  },
  de: {
    subject: 'Benachrichtigung über eine Verletzung des Schutzes personenbezogener Daten',
    headings: [
      'Was ist passiert',
      'Welche Daten betroffen sind',
      'Was wir tun',
      'Was Sie tun können',
      'Weitere Informationen',
    ],
    happened: (from, to, aware) =>
      `Zwischen ${from} und ${to} hat jemand ohne berechtigten Grund personenbezogene Daten einiger Bulwark-Kunden eingesehen, darunter Ihre. Wir haben es am ${aware} erkannt.`,
    involved: (kinds) => `Diese Arten Ihrer Daten wurden eingesehen: ${kinds}.`,
    risks:
      'Wer diese Daten hat, könnte sie für Phishing-Nachrichten, Betrugsanrufe oder Paketbetrug nutzen, die Ihre Bestellungen erwähnen.',
    notPassword: 'Ihr Passwort und Ihre Zahlungsdaten waren nicht betroffen.',
    doing:
      'Wir haben den Zugriff sofort nach der Erkennung gesperrt, jeden betroffenen Datensatz in unserem manipulationssicheren Prüfprotokoll nachverfolgt und informieren die zuständigen Datenschutzbehörden.',
    youCan:
      'Ändern Sie Ihr Bulwark-Passwort und jedes gleiche Passwort anderswo; schalten Sie die Anmeldung in zwei Schritten ein; seien Sie vorsichtig bei Nachrichten, Anrufen oder Paketen, die Ihre Bestellungen erwähnen. Wir fragen nie nach Ihrem Passwort, und diese Nachricht enthält keinen Anmeldelink.',
    phraseShown: 'Echte E-Mails von Bulwark zeigen Ihre Anti-Phishing-Phrase immer ganz oben.',
    phraseMissing:
      'Legen Sie unter Sicherheit eine Anti-Phishing-Phrase fest: Jede echte E-Mail von Bulwark zeigt sie, damit Sie Fälschungen erkennen.',
    more: (contact, reference, date) =>
      `Fragen (Datenschutzbeauftragter): ${contact}. Bitte nennen Sie ${reference}. Datum dieser Benachrichtigung: ${date}.`,
    kinds: {
      identity: 'Ihr Name',
      contact: 'Ihre E-Mail-Adresse und Telefonnummer',
      address: 'Ihre Lieferadressen',
      network: 'von Ihnen genutzte IP-Adressen',
      order_content: 'Notizen und Optionen Ihrer Bestellungen',
      credentials: 'Ihre Anmeldedaten',
      financial: 'Finanzdaten',
      government_id: 'Ausweisnummern',
    },
    unknown: 'weitere Kontodaten',
  },
};

export const NOTICE_LANGUAGES = Object.keys(LOCALES);

/** `pt-BR` → `pt`; a language we do not write in → English. */
export function noticeLanguage(language: string): string {
  const base = language.toLowerCase().split('-')[0] ?? 'en';
  return base in LOCALES ? base : 'en';
}

const day = (at: Date | null) => (at ? at.toISOString().slice(0, 10) : '?');

/** The notice's title and sections (heading and text), in the person's language. */
export function breachNoticeSections(message: BreachNoticeMessage): {
  subject: string;
  sections: { heading: string; text: string }[];
} {
  const locale = LOCALES[noticeLanguage(message.language)] ?? (LOCALES.en as Locale);
  const kinds = message.categories.map((category) => locale.kinds[category] ?? locale.unknown).join(', ');
  const contact = [message.contact.organisation, message.contact.email, message.contact.phone]
    .filter((part): part is string => part !== null)
    .join(', ');
  const [happened, involved, doing, youCan, more] = locale.headings;
  const exposedSecrets = message.categories.some((c) => c === 'credentials' || c === 'financial');
  return {
    subject: `${locale.subject} (Bulwark)`,
    sections: [
      {
        heading: happened,
        text: locale.happened(day(message.periodFrom), day(message.periodTo), day(message.awareAt)),
      },
      {
        heading: involved,
        text: [locale.involved(kinds), locale.risks, exposedSecrets ? '' : locale.notPassword]
          .filter(Boolean)
          .join(' '),
      },
      { heading: doing, text: locale.doing },
      {
        heading: youCan,
        text: `${locale.youCan} ${message.hasPhrase ? locale.phraseShown : locale.phraseMissing}`,
      },
      {
        heading: more,
        text: locale.more(contact, message.incidentId, message.noticeDate.toISOString().slice(0, 10)),
      },
    ],
  };
}
