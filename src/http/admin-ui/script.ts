/**
 * The admin page's client script, served inline under a CSP nonce. It calls the JSON admin API with
 * the session cookie (`credentials: 'same-origin'`, `Content-Type: application/json`: a cross-site form
 * cannot send that, which is what keeps cookie auth CSRF-safe). Everything that comes from the API is
 * inserted with textContent, never as HTML. Plain browser JavaScript in a string: it is never bundled,
 * so no build step can rewrite it. It must not contain a backtick, "${" or a closing script tag.
 */
export const ADMIN_SCRIPT = String.raw`
(function () {
  'use strict';
  var root = document.getElementById('admin');
  if (!root) return;
  var base = '/api/companies/' + encodeURIComponent(root.dataset.companyId || '');
  var computed = { entityId: root.dataset.spEntityId, acsUrl: root.dataset.acsUrl };
  var names = { workspaces: {}, permissionSets: {} };
  var current = { jit: null, saml: null, shownTokenId: null };

  function $(id) { return document.getElementById(id); }

  /** One API call; never throws: {ok, status, data}. */
  async function api(method, path, body) {
    var init = { method: method, credentials: 'same-origin', headers: { 'Content-Type': 'application/json', Accept: 'application/json' } };
    if (body !== undefined) init.body = JSON.stringify(body);
    var res;
    try {
      res = await fetch(base + path, init);
    } catch (e) {
      return { ok: false, status: 0, data: null };
    }
    var data = null;
    if (res.status !== 204) {
      try { data = await res.json(); } catch (e) { data = null; }
    }
    return { ok: res.ok, status: res.status, data: data };
  }

  /** Plain words for a failed call: the API's own message, its issues, never internals. */
  function problem(r) {
    if (r.status === 0) return 'The server could not be reached. Check your connection and try again.';
    if (r.status === 401) return 'Your session has ended. Sign in again through your identity provider, then reload this page.';
    var err = r.data && r.data.error;
    if (!err || typeof err.message !== 'string') return 'The request failed (HTTP ' + r.status + '). Try again.';
    var text = err.message;
    if (Array.isArray(err.issues) && err.issues.length) {
      text += ' ' + err.issues.map(function (i) { return (i.path ? i.path + ': ' : '') + i.message; }).join('; ');
    }
    return text;
  }

  function say(id, text, kind) {
    var el = $(id);
    el.textContent = text || '';
    el.className = 'msg' + (kind ? ' ' + kind : '');
    el.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  }

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }

  function when(iso) {
    if (!iso) return '';
    var d = new Date(iso);
    return isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
  }

  /** A table from column headers and rows of cells (strings or nodes), in a box that scrolls sideways on a narrow screen. */
  function table(caption, headers, rows) {
    var box = el('div', null, 'scroll');
    box.tabIndex = 0;
    box.setAttribute('role', 'region');
    box.setAttribute('aria-label', caption);
    var t = box.appendChild(el('table'));
    t.appendChild(el('caption', caption)).className = 'hint';
    var tr = el('tr');
    headers.forEach(function (h) { var th = el('th', h); th.scope = 'col'; tr.appendChild(th); });
    t.appendChild(el('thead')).appendChild(tr);
    var tbody = t.appendChild(el('tbody'));
    rows.forEach(function (cells) {
      var row = tbody.appendChild(el('tr'));
      cells.forEach(function (c) {
        var td = row.appendChild(el('td'));
        if (c instanceof Node) td.appendChild(c); else td.textContent = c === null || c === undefined ? '' : String(c);
      });
    });
    return box;
  }

  function fill(id, nodes) {
    var box = $(id);
    box.replaceChildren.apply(box, nodes);
  }

  // ---- Security settings > SAML SSO > Automatic user provisioning
  function options(select, list, chosen, placeholder) {
    var nodes = [el('option', placeholder)];
    nodes[0].value = '';
    list.forEach(function (item) {
      var o = el('option', item.name);
      o.value = item.id;
      nodes.push(o);
    });
    select.replaceChildren.apply(select, nodes);
    select.value = chosen || '';
  }

  function showSwitchState() {
    var on = $('jit-enabled').checked;
    var state = $('jit-state');
    state.textContent = on ? 'On' : 'Off';
    state.className = 'state ' + (on ? 'on' : 'off');
  }

  function showJit(jit) {
    current.jit = jit;
    $('jit-enabled').checked = !!jit.enabled;
    $('jit-workspace').value = jit.defaultWorkspaceId || '';
    $('jit-permission-set').value = jit.defaultPermissionSetId || '';
    $('jit-directory').checked = !!jit.requireDirectoryMembership;
    showSwitchState();
  }

  async function loadJit() {
    var results = await Promise.all([api('GET', '/workspaces'), api('GET', '/permission-sets'), api('GET', '/security/jit')]);
    var failed = results.filter(function (r) { return !r.ok; })[0];
    if (failed) { say('jit-msg', problem(failed), 'error'); return; }
    var workspaces = results[0].data.workspaces, sets = results[1].data.permissionSets, jit = results[2].data;
    workspaces.forEach(function (w) { names.workspaces[w.id] = w.name; });
    sets.forEach(function (s) { names.permissionSets[s.id] = s.name; });
    options($('jit-workspace'), workspaces, jit.defaultWorkspaceId, 'Choose a workspace');
    options($('jit-permission-set'), sets, jit.defaultPermissionSetId, 'Choose a permission set');
    showJit(jit);
  }

  $('jit-enabled').addEventListener('change', showSwitchState);
  $('jit-form').addEventListener('submit', async function (event) {
    event.preventDefault();
    say('jit-msg', 'Saving…');
    var r = await api('PUT', '/security/jit', {
      enabled: $('jit-enabled').checked,
      defaultWorkspaceId: $('jit-workspace').value || null,
      defaultPermissionSetId: $('jit-permission-set').value || null,
      requireDirectoryMembership: $('jit-directory').checked,
    });
    if (r.ok) {
      showJit(r.data);
      say('jit-msg', 'Changes saved.', 'ok');
    } else if (r.data && r.data.error && r.data.error.code === 'jit_disable_requires_support') {
      if (current.jit) showJit(current.jit);
      say('jit-msg', problem(r) + ' It stays on.', 'error');
    } else {
      say('jit-msg', problem(r), 'error');
    }
    loadAudit();
  });

  // ---- SAML setup help
  /** The server decides the expiry step (its clock, the thresholds of the audit warnings); the page only words it. */
  function certificateStatus(c) {
    if (c.warning === 'expired') return { text: 'Expired', cls: 'failed' };
    if (c.warning) return { text: c.daysLeft === 0 ? 'Expires today' : 'Expires in ' + c.daysLeft + (c.daysLeft === 1 ? ' day' : ' days'), cls: 'skipped' };
    return { text: 'Valid', cls: 'passed' };
  }

  function certificateRows(certs) {
    return certs.map(function (c) {
      var status = certificateStatus(c);
      return [c.subject, el('span', c.fingerprintSha256, 'mono'), when(c.notAfter), el('span', status.text, status.cls)];
    });
  }

  /** Every connection's expiring or expired IdP certificates, at the top of the page. */
  async function loadCertificateWarnings() {
    var box = $('cert-warnings');
    var r = await api('GET', '/saml-connections');
    if (!r.ok || !r.data || !Array.isArray(r.data.connections)) { box.hidden = true; return; }
    var items = [];
    r.data.connections.forEach(function (conn) {
      (conn.warnings || []).forEach(function (w) {
        var li = el('li', null, w.code === 'certificate_expired' ? 'expired' : 'expiring');
        li.appendChild(el('strong', conn.name + ': '));
        li.appendChild(document.createTextNode(w.message));
        items.push(li);
      });
    });
    if (!items.length) { box.hidden = true; box.replaceChildren(); return; }
    var list = el('ul');
    list.replaceChildren.apply(list, items);
    box.replaceChildren(el('h2', 'Identity provider certificates need attention'), list);
    box.hidden = false;
  }

  function showSaml(conn) {
    current.saml = conn;
    $('sp-acs').textContent = conn.acsUrl;
    $('sp-entity').textContent = conn.spEntityId;
    $('sp-metadata').textContent = conn.metadataUrl;
    $('sp-metadata').href = conn.metadataUrl;
    $('sp-login').textContent = conn.loginUrl;
    var dl = el('dl', null, 'urls');
    [['IdP entity ID', conn.idp.entityId], ['IdP sign-in URL', conn.idp.ssoUrl], ['Sign-in binding', conn.idp.ssoBinding === 'post' ? 'HTTP-POST' : 'HTTP-Redirect'], ['Last changed', when(conn.updatedAt)]].forEach(function (pair) {
      dl.appendChild(el('dt', pair[0]));
      dl.appendChild(el('dd', pair[1], 'mono'));
    });
    fill('idp-info', [dl, table('IdP signing certificates', ['Subject', 'SHA-256 fingerprint', 'Valid until', 'Status'], certificateRows(conn.idp.certificates))]);
  }

  async function loadSaml() {
    var r = await api('GET', '/saml');
    if (r.ok) showSaml(r.data);
    else if (r.status === 404) fill('idp-info', [el('p', 'SAML single sign-on is not set up yet. Paste your identity provider’s metadata XML below.', 'empty')]);
    else fill('idp-info', [el('p', problem(r), 'msg error')]);
  }

  $('metadata-form').addEventListener('submit', async function (event) {
    event.preventDefault();
    say('metadata-msg', 'Saving…');
    var body = { metadataXml: $('metadata-xml').value };
    var prev = current.saml;
    if (prev) {
      // Keep what metadata does not carry: the SHA-1 allowance, attribute mapping and SP overrides.
      body.allowSha1 = !!prev.allowSha1;
      var mapping = {};
      ['email', 'firstName', 'lastName', 'groups'].forEach(function (k) { if (prev.attributeMapping && prev.attributeMapping[k]) mapping[k] = prev.attributeMapping[k]; });
      body.attributeMapping = mapping;
      if (prev.spEntityId !== computed.entityId) body.spEntityId = prev.spEntityId;
      if (prev.acsUrl !== computed.acsUrl) body.acsUrl = prev.acsUrl;
    }
    var r = await api('PUT', '/saml', body);
    if (r.ok) {
      showSaml(r.data);
      $('metadata-xml').value = '';
      say('metadata-msg', 'IdP metadata saved: ' + r.data.idp.certificates.length + ' signing certificate(s).', 'ok');
      loadCertificateWarnings();
    } else {
      say('metadata-msg', problem(r), 'error');
    }
    loadAudit();
  });

  // ---- Directory sync
  async function loadTokens() {
    var r = await api('GET', '/scim-tokens');
    if (!r.ok) { fill('scim-tokens', [el('p', problem(r), 'msg error')]); return; }
    $('scim-base').textContent = r.data.scimBaseUrl;
    var tokens = r.data.scimTokens;
    if (!tokens.length) { fill('scim-tokens', [el('p', 'No SCIM tokens yet.', 'empty')]); return; }
    fill('scim-tokens', [table('SCIM tokens (their secrets are never shown again)', ['Label', 'Created', 'Status', ''], tokens.map(function (t) {
      var action = '';
      if (!t.revokedAt) {
        action = el('button', 'Revoke', 'danger');
        action.type = 'button';
        action.setAttribute('aria-label', 'Revoke SCIM token ' + (t.label || t.id));
        action.addEventListener('click', function () { revoke(t); });
      }
      return [t.label || '(no label)', when(t.createdAt), t.revokedAt ? 'Revoked ' + when(t.revokedAt) : 'Active', action];
    }))]);
  }

  function hideNewToken() {
    $('scim-token-value').value = '';
    $('scim-new-token').hidden = true;
    current.shownTokenId = null;
  }

  async function revoke(t) {
    if (!window.confirm('Revoke the SCIM token ' + (t.label || t.id) + '? Your IdP stops syncing with it at once.')) return;
    say('scim-msg', 'Revoking…');
    var r = await api('DELETE', '/scim-tokens/' + encodeURIComponent(t.id));
    if (r.ok && t.id === current.shownTokenId) hideNewToken();
    say('scim-msg', r.ok ? 'Token revoked.' : problem(r), r.ok ? 'ok' : 'error');
    loadTokens();
    loadAudit();
  }

  $('scim-token-form').addEventListener('submit', async function (event) {
    event.preventDefault();
    var label = $('scim-token-label').value.trim();
    say('scim-msg', 'Creating…');
    var r = await api('POST', '/scim-tokens', label ? { label: label } : {});
    if (!r.ok) { say('scim-msg', problem(r), 'error'); return; }
    $('scim-token-label').value = '';
    $('scim-token-value').value = r.data.token;
    current.shownTokenId = r.data.id;
    $('scim-new-token').hidden = false;
    $('scim-token-value').focus();
    $('scim-token-value').select();
    say('scim-msg', 'SCIM token created.', 'ok');
    loadTokens();
    loadAudit();
  });

  $('scim-copy').addEventListener('click', async function () {
    var input = $('scim-token-value');
    input.select();
    try {
      await navigator.clipboard.writeText(input.value);
      say('scim-msg', 'Token copied to the clipboard.', 'ok');
    } catch (e) {
      say('scim-msg', 'Press Ctrl+C (or ⌘C) to copy the selected token.');
    }
  });

  async function loadMappings() {
    var r = await api('GET', '/scim/group-mappings');
    if (!r.ok) { fill('group-mappings', [el('p', problem(r), 'msg error')]); return; }
    var list = r.data.groupMappings;
    if (!list.length) { fill('group-mappings', [el('p', 'No group mappings: new accounts get the defaults above.', 'empty')]); return; }
    fill('group-mappings', [table('IdP group mappings', ['IdP group', 'Workspace', 'Permission set', 'Priority'], list.map(function (m) {
      return [m.groupId, names.workspaces[m.workspaceId] || m.workspaceId, names.permissionSets[m.permissionSetId] || m.permissionSetId, m.priority];
    }))]);
  }

  // ---- Explain
  var DECISIONS = { sign_in: 'Signs in to the existing account', provision: 'Gets a new account (automatic user provisioning)', refuse: 'Refused' };
  $('explain-form').addEventListener('submit', async function (event) {
    event.preventDefault();
    say('explain-msg', 'Checking…');
    var r = await api('POST', '/jit/explain', { email: $('explain-email').value.trim(), flow: $('explain-flow').value });
    if (!r.ok) { say('explain-msg', problem(r), 'error'); fill('explain-result', []); return; }
    say('explain-msg', '');
    var x = r.data;
    var head = el('p', null, 'decision');
    head.id = 'explain-decision';
    head.appendChild(el('span', DECISIONS[x.decision] || x.decision, x.decision === 'refuse' ? 'failed' : 'passed'));
    var nodes = [head];
    if (x.reason) {
      var reason = el('p', 'Reason: ');
      reason.appendChild(el('code', x.reason)).id = 'explain-reason';
      nodes.push(reason);
    }
    nodes.push(table('Rules checked, in order', ['Check', 'Outcome', 'Detail'], x.checks.map(function (c) {
      return [el('code', c.check), el('span', c.outcome, c.outcome), c.detail];
    })));
    fill('explain-result', nodes);
  });

  // ---- Audit log
  function describeTarget(e) {
    var parts = [];
    if (e.target) parts.push(e.target.type + (e.target.id ? ' ' + e.target.id : ''));
    if (e.data && typeof e.data.email === 'string') parts.push(e.data.email);
    return parts.join(' · ');
  }

  async function loadAudit() {
    var r = await api('GET', '/audit-events?limit=20');
    if (!r.ok) { say('audit-msg', problem(r), 'error'); return; }
    say('audit-msg', '');
    var events = r.data.events;
    if (!events.length) { fill('audit-events', [el('p', 'No events yet.', 'empty')]); return; }
    fill('audit-events', [table('The 20 most recent events, newest first', ['When', 'Action', 'By', 'About', 'Reason'], events.map(function (e) {
      // An aggregated refusal stands for many attempts: say how many and when the latest was.
      var reason = (e.reason || '') + (e.count > 1 ? ' (' + e.count + ' times, latest ' + when(e.lastAt) + ')' : '');
      return [when(e.createdAt), el('code', e.action), e.actor.type + (e.actor.id ? ' ' + e.actor.id : ''), describeTarget(e), reason];
    }))]);
  }
  $('audit-refresh').addEventListener('click', loadAudit);

  // Mappings name workspaces and permission sets, so they wait for the JIT section's lists.
  loadJit().then(loadMappings);
  loadSaml();
  loadCertificateWarnings();
  loadTokens();
  loadAudit();
})();
`;
