import Bowser from 'bowser';

/**
 * A person-readable name for the software a session came from ("Firefox on Linux"), and the key that
 * says whether this account has logged in from it before. The key is deliberately coarse (browser and
 * OS family, no versions) so that updates do not raise new-device alerts.
 */
export function describeDevice(userAgent: string | undefined): { label: string; family: string } {
  if (!userAgent) return { label: 'an unknown device', family: 'unknown' };
  const parsed = Bowser.parse(userAgent.slice(0, 512));
  const browser = parsed.browser.name ?? 'an unknown browser';
  const os = parsed.os.name;
  const label = os ? `${browser} on ${os}` : browser;
  return { label: label.slice(0, 80), family: `${browser}|${os ?? ''}|${parsed.platform.type ?? ''}` };
}
