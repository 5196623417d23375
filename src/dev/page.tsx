/** The frame of the development pages (the test IdP, the example application): a title, a stylesheet, a body. */
export const devPage = (title: string, css: string, body: unknown) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{title}</title>
      <style>{css}</style>
    </head>
    <body>{body}</body>
  </html>
);
