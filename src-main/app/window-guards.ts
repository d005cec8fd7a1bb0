/**
 * The window shows the app's own page and nothing else: it never navigates away, and opens no windows. A
 * link the page asks to open is refused too rather than handed to the user's browser: the app shows no
 * links to anywhere (nothing leaves the machine), so a request to open one can only come from content that
 * should not be there, and passing it on would let that content launch whatever the system has registered
 * for a scheme (file:, custom protocols) with an address of its choosing.
 */
export interface GuardedContents {
  on(event: 'will-navigate', listener: (event: { preventDefault(): void }) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}

export function guardWindow(contents: GuardedContents): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}
