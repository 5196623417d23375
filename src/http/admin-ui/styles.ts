/** The admin page's stylesheet: inline (no external CSS or fonts), so the page works offline. */
export const ADMIN_CSS = `
body{font-family:system-ui,sans-serif;max-width:62rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1f2328;background:#fff;overflow-wrap:break-word}
h1{font-size:1.6rem;margin:.25rem 0}
h2{font-size:1.3rem;margin:2.5rem 0 .5rem;padding-top:1rem;border-top:1px solid #d0d7de}
h3{font-size:1.05rem;margin:1.25rem 0 .5rem}
a{color:#0550ae}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em;overflow-wrap:anywhere}
code{background:#eef1f4;padding:0 .25rem;border-radius:4px}
.crumbs{color:#57606a;margin:0;font-size:.95rem}
.who{display:flex;gap:1rem;align-items:center;flex-wrap:wrap;color:#57606a}
.who form{margin:0}
nav.sections ul{display:flex;flex-wrap:wrap;gap:.25rem 1.25rem;list-style:none;padding:0;margin:.75rem 0 0}
fieldset{border:1px solid #d0d7de;border-radius:8px;padding:.75rem 1rem 1rem;margin:0 0 1rem}
legend{font-weight:600;padding:0 .25rem}
label{display:block;margin:.75rem 0 .25rem;font-weight:500}
label.inline{display:flex;gap:.5rem;align-items:center;font-weight:500}
input,select,textarea,button{font:inherit}
input[type=text],input[type=email],select,textarea{padding:.35rem .5rem;border:1px solid #8c959f;border-radius:6px;max-width:100%;box-sizing:border-box}
input[type=text],input[type=email],select{min-width:min(18rem,100%)}
textarea{width:100%;min-height:9rem;font-family:ui-monospace,monospace;font-size:.85rem}
button{padding:.4rem .9rem;border-radius:6px;border:1px solid #8c959f;background:#f6f8fa;cursor:pointer}
button.primary{background:#1f883d;border-color:#1a7f37;color:#fff;font-weight:600}
button.danger{color:#b3261e}
button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible,a:focus-visible{outline:3px solid #0969da;outline-offset:1px}
.switch{display:flex;gap:.6rem;align-items:center;font-weight:600}
.switch input{width:2.6rem;height:1.4rem;accent-color:#1f883d}
.state{font-weight:600}
.state.on{color:#1a7f37}
.state.off{color:#57606a}
.hint{color:#57606a;font-size:.92rem;margin:.25rem 0}
.box{border:1px solid #d0d7de;border-radius:8px;padding:.75rem 1rem;background:#f6f8fa;margin:.75rem 0}
.note{border-left:4px solid #bf8700;background:#fff8c5;padding:.5rem .75rem;margin:.75rem 0}
.alert{border:2px solid #bf8700;background:#fff8c5;border-radius:8px;padding:.5rem 1rem;margin:1rem 0}
.alert h2{font-size:1.05rem;margin:.25rem 0;padding:0;border:0}
.alert ul{margin:.25rem 0;padding-left:1.25rem}
.alert li.expired{color:#b3261e}
.msg{margin:.5rem 0;min-height:1.5rem}
.msg.error{color:#b3261e;font-weight:500}
.msg.ok{color:#1a7f37;font-weight:500}
.secret{border:2px solid #bf8700;background:#fff8c5;border-radius:8px;padding:.75rem 1rem;margin:.75rem 0}
.secret input{width:100%;font-family:ui-monospace,monospace}
dl.urls{display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1rem;margin:.5rem 0}
dl.urls dt{font-weight:600}
dl.urls dd{margin:0;min-width:0}
@media (max-width:40rem){dl.urls{grid-template-columns:minmax(0,1fr);gap:0}dl.urls dt{margin-top:.5rem}}
/* A table scrolls inside its own box on a narrow screen; the page itself never scrolls sideways. */
.scroll{overflow-x:auto;max-width:100%;margin:.5rem 0}
.scroll:focus-visible{outline:3px solid #0969da;outline-offset:1px}
table{border-collapse:collapse;width:100%;font-size:.92rem}
caption{text-align:left}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #d8dee4;vertical-align:top}
th{background:#f6f8fa}
td code{white-space:nowrap;overflow-wrap:normal}
.passed{color:#1a7f37;font-weight:600}
.failed{color:#b3261e;font-weight:600}
.skipped{color:#57606a}
.decision{font-size:1.1rem;font-weight:600}
.empty{color:#57606a;font-style:italic}
.row{display:flex;gap:.75rem;align-items:end;flex-wrap:wrap}
.row>div{min-width:0;max-width:100%}
@media (max-width:40rem){.row>div{flex:1 1 100%}.row input,.row select{width:100%}}
.row label{margin-top:0}
`;
