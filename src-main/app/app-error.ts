export type AppErrorCode = 'BAD_ARGUMENT' | 'INVALID_STATE' | 'NOT_AVAILABLE' | 'NO_SPEECH' | 'ENGINE';

/** A request the app cannot carry out; the code tells the renderer what kind of problem it is. */
export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly code: AppErrorCode,
    message: string,
  ) {
    super(message);
  }
}
