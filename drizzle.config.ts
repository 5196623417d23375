import { defineConfig } from 'drizzle-kit';

// One config for both databases: DATABASE_URL selects PostgreSQL, otherwise the embedded PGlite in DATA_DIR.
const url = process.env.DATABASE_URL;
export default url
  ? defineConfig({ dialect: 'postgresql', schema: './src/store/schema.ts', out: './drizzle', dbCredentials: { url } })
  : defineConfig({
      dialect: 'postgresql',
      driver: 'pglite',
      schema: './src/store/schema.ts',
      out: './drizzle',
      dbCredentials: { url: `${process.env.DATA_DIR ?? './.data'}/pglite` },
    });
