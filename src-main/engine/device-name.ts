// Capture device names reach the recorder's command line as they are (arecord -D <name>, sox -t alsa <name>):
// names that program would read as something else than a device are refused wherever a name enters the app
// (the settings, the IPC contract, Capture itself). Pure: the contract, and so the renderer, imports it.

/** What a device name may not be, as a sentence's end: "… may not begin with …". */
export const DEVICE_NAME_RULE =
  'may not begin with "-" (sox and arecord would read it as an option) or "|" (sox would run it as a ' +
  'command), nor hold control characters';

/** Why `name` cannot be given to the recorder as a capture device, or null when it can. */
export function deviceNameProblem(name: string): string | null {
  if (name.trim() === '') return 'a capture device name cannot be empty';
  // ALSA, CoreAudio and waveaudio names never start so; sox and arecord would take such a name as an option,
  // and sox a name starting with "|" as a command to run and read audio from.
  // eslint-disable-next-line no-control-regex
  if (/^[-|]/.test(name) || /[\u0000-\u001f\u007f]/.test(name))
    return `capture device ${JSON.stringify(name)}: a device name ${DEVICE_NAME_RULE}`;
  return null;
}
