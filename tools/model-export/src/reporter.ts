/** Where library code sends progress; the CLI prints it, tests and embedders may ignore it. */
export interface Reporter {
  /** A long step starts (convert, quantize, verify ...). */
  step(message: string): void;
  /** A figure worth showing (bytes, errors). */
  detail(message: string): void;
  /** Something was dropped or skipped, and why. */
  warn(message: string): void;
}

export const silentReporter: Reporter = Object.freeze({
  step: () => {},
  detail: () => {},
  warn: () => {},
});
