import cliProgress from 'cli-progress';
import type { Progress } from './operator-commands.ts';

/** A progress bar on standard error (so --json output stays clean); silent when there is no terminal. */
export function progressBar(silent: boolean): { update: Progress; stop(): void } {
  if (silent) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    { format: '{label} [{bar}] {value}/{total}', stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update({ done, total, label }) {
      if (!started) {
        bar.start(Math.max(total, 1), done, { label });
        started = true;
      }
      bar.setTotal(Math.max(total, 1));
      bar.update(done, { label });
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}
