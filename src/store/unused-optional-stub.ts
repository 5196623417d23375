/**
 * What the Worker build resolves hono-openapi's optional schema vendors (effect, sury, zod) to
 * (wrangler.toml `[alias]`): we describe the API with valibot only, so these are never loaded, and
 * without the alias they would stay as unresolved `import()`s that some loaders refuse.
 */
throw new Error('This optional schema library is not part of the Worker bundle: the API is described with valibot.');
