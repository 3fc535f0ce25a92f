/** The scanner's version, reported by the CLI and in published findings. Kept in step with package.json by a test. */
export const VERSION = '0.1.0';
