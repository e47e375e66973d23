/**
 * The hub's dashboard: one static page on the admin port. It holds no data: it polls
 * `/v1/dashboard` with the admin token, given once in the address's fragment
 * (`/dashboard#token=…`, never sent to a server or logged) or typed into its form, and kept
 * in the tab's sessionStorage.
 */

/** How often the page polls, in ms. */
export const dashboardPollMs = 1_000;
/** Points of the payments-per-second chart (one per poll). */
export const dashboardChartPoints = 60;

/** The page. */
export const dashboardHtml = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Trickle hub</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1b1f24}
 header{background:#12355b;color:#fff;padding:12px 20px;display:flex;justify-content:space-between;align-items:center}
 header h1{font-size:18px;margin:0} #status{font-size:12px;opacity:.85}
 main{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:16px;padding:16px 20px}
 section{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:12px 16px}
 h2{font-size:13px;text-transform:uppercase;letter-spacing:.04em;color:#566;margin:0 0 8px}
 .big{font-size:32px;font-weight:600} table{width:100%;border-collapse:collapse;font-size:13px}
 td,th{text-align:left;padding:3px 4px;border-bottom:1px solid #eee} td.n{text-align:right;font-variant-numeric:tabular-nums}
 .wide{grid-column:1/-1} svg{width:100%;height:160px} .muted{color:#889}
 form{padding:40px;max-width:420px} input{width:100%;padding:6px;font:inherit}
</style></head>
<body>
<header><h1>Trickle hub</h1><span id="status">connecting…</span></header>
<form id="login" hidden><p>Admin token (the hub keeps it in <code>admin.token</code> in its data folder):</p>
<input id="token" type="password" autocomplete="off"><p><button>Show</button></p></form>
<main id="board" hidden>
 <section><h2>Open channels</h2><div class="big" id="open">–</div><div class="muted"><span id="clients">–</span> clients connected</div></section>
 <section><h2>Payments per second</h2><div class="big" id="rate">–</div><div class="muted"><span id="payments">–</span> since the hub started</div></section>
 <section><h2>Escrow and liability</h2><table id="money"><tr><th>asset</th><th>escrow</th><th>unsettled liability</th></tr></table>
  <div class="muted" id="backlog"></div></section>
 <section class="wide"><h2>Payments per second, last minute</h2><svg id="chart" viewBox="0 0 600 160" preserveAspectRatio="none"></svg></section>
 <section><h2>Merchants' earnings</h2><table id="merchants"></table></section>
 <section><h2>Recent rejects</h2><table id="rejects"></table></section>
</main>
<script>
const pollMs = ${dashboardPollMs}, points = ${dashboardChartPoints};
function takeHashToken() {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromHash) { sessionStorage.setItem('trickleToken', fromHash); history.replaceState(null, '', location.pathname); }
}
takeHashToken();
addEventListener('hashchange', () => { takeHashToken(); poll(); });
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
function money(units, key) {
  const scale = Number(key.split(':')[1]); const code = key.split(':')[0];
  const s = BigInt(units).toString().padStart(scale + 1, '0');
  const whole = s.slice(0, s.length - scale); const frac = s.slice(s.length - scale).replace(/0+$/, '');
  return (frac ? whole + '.' + frac : whole) + ' ' + code;
}
const rates = []; let last;
function draw() {
  const max = Math.max(1, ...rates);
  const step = 600 / (points - 1);
  const xy = rates.map((r, i) => (i * step + (points - rates.length) * step).toFixed(1) + ',' + (155 - (r / max) * 145).toFixed(1));
  $('chart').innerHTML = '<line x1="0" y1="155" x2="600" y2="155" stroke="#ccd"/>' +
    '<text x="4" y="14" font-size="11" fill="#889">' + max.toFixed(1) + '/s</text>' +
    (xy.length > 1 ? '<polyline fill="none" stroke="#1f6feb" stroke-width="2" points="' + xy.join(' ') + '"/>' : '');
}
async function poll() {
  const token = sessionStorage.getItem('trickleToken');
  if (!token) { $('login').hidden = false; $('board').hidden = true; return; }
  let data;
  try {
    const r = await fetch('/v1/dashboard', { headers: { authorization: 'Bearer ' + token } });
    if (r.status === 401) { sessionStorage.removeItem('trickleToken'); $('status').textContent = 'wrong token'; $('login').hidden = false; return; }
    data = await r.json();
  } catch (e) { $('status').textContent = 'hub unreachable: ' + e.message; return; }
  $('login').hidden = true; $('board').hidden = false;
  $('status').textContent = 'updated ' + new Date(data.atMs).toLocaleTimeString();
  $('open').textContent = data.openChannels; $('clients').textContent = data.connections; $('payments').textContent = data.payments;
  if (last) { rates.push(Math.max(0, (data.payments - last.payments) / ((data.atMs - last.atMs) / 1000))); if (rates.length > points) rates.shift(); }
  last = data;
  $('rate').textContent = rates.length ? rates[rates.length - 1].toFixed(1) : '–';
  draw();
  $('money').innerHTML = '<tr><th>asset</th><th>escrow</th><th>unsettled liability</th></tr>' +
    Object.keys(data.escrow).map((k) => '<tr><td>' + esc(k.split(':')[0]) + '</td><td class="n">' + money(data.escrow[k], k) + '</td><td class="n">' + money(data.liability[k] ?? '0', k) + '</td></tr>').join('');
  $('backlog').textContent = data.backlog.channels + ' channels, ' + data.backlog.entries + ' payments waiting to be claimed; ' + data.backlog.closing + ' closing';
  $('merchants').innerHTML = data.merchants.length === 0 ? '<tr><td class="muted">no merchants</td></tr>' :
    '<tr><th>merchant</th><th>payee</th><th>earned</th></tr>' + data.merchants.map((m) => '<tr><td>' + esc(m.name || '(no name)') + '</td><td class="muted">' + esc(m.payeeId.slice(0, 12)) + '…</td><td class="n">' +
      Object.keys(m.earned).map((k) => money(m.earned[k], k)).join('<br>') + '</td></tr>').join('');
  $('rejects').innerHTML = data.recentRejects.length === 0 ? '<tr><td class="muted">none</td></tr>' :
    '<tr><th>when</th><th>code</th><th>channel</th></tr>' + data.recentRejects.slice(0, 10).map((r) => '<tr><td>' + new Date(r.atMs).toLocaleTimeString() + '</td><td>' + esc(r.code) + '</td><td class="muted">' + esc((r.channelId || '').slice(0, 12)) + '</td></tr>').join('');
}
$('login').addEventListener('submit', (e) => { e.preventDefault(); sessionStorage.setItem('trickleToken', $('token').value.trim()); poll(); });
poll(); setInterval(poll, pollMs);
</script></body></html>
`;
