import cliProgress from 'cli-progress';

/**
 * A progress bar with ETA on stderr (stdout stays clean for --json and pipes). When stderr is not
 * a terminal the bar prints nothing, so logs are not flooded with redraws.
 */
export function progressBar(label: string, extra = ''): cliProgress.SingleBar {
  return new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted} ${extra}`.trimEnd(),
      stream: process.stderr,
      noTTYOutput: false,
      etaBuffer: 50,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
}
