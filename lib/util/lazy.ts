/**
 * A value built on first use, then kept: zod schemas, tables and lookups a module would otherwise build at import,
 * which every Lambda cold start pays for whether its path uses them or not (bench/app.ts measures each bundle's
 * import). A function rather than zod's `z.lazy`: that one still runs zod's constructors at import.
 */
export function lazy<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => {
    built ??= { value: build() };
    return built.value;
  };
}
