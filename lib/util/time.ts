/** Time helpers shared across stages. */
export const DAY_MS = 86_400_000;

export const sleep = (ms: number): Promise<void> => new Promise<void>((resolve) => setTimeout(resolve, ms));
