// flow.js - the customer's way through caredesk-web in headless Chromium (Debian's, driven by
// playwright-core): register, activate with the link from the real outbox, log in, list orders,
// download the invoice PDF, accept an offer, open an RMA, read tickets, log out; then an agent
// reads the tickets report with its chart on the admin pages. A screenshot of
// every page goes to SHOTS. Prints "ok: ..." per check; exits 1 on the first failure.
// usage: node flow.js BASE_URL DB SHOTS CAREDESK_BIN DOWNLOADS
const { chromium } = require('playwright-core');
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const [base, db, shots, bin, downloads] = process.argv.slice(2);

const sql = (q) => execFileSync('sqlite3', ['-cmd', '.timeout 5000', db, q]).toString().trim();
const caredesk = (...args) => execFileSync(path.join(bin, 'caredesk'), args).toString();
function check(what, cond, detail) {
  if (!cond) { console.error(`FAIL: ${what}${detail ? ': ' + detail : ''}`); process.exit(1); }
  console.log(`ok: ${what}`);
}
let shot = 0;
async function snap(page, name) {
  shot++;
  const file = path.join(shots, `${String(shot).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
}

(async () => {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  const ctx = await browser.newContext({ viewport: { width: 1024, height: 700 }, acceptDownloads: true });
  const page = await ctx.newPage();
  // the machines running the tests are shared and sometimes loaded: wait longer than the default
  page.setDefaultTimeout(90000);
  page.setDefaultNavigationTimeout(90000);
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  try {
    // register
    await page.goto(base + '/');
    check('anonymous visitors land on the login page', page.url().endsWith('/login'));
    await snap(page, 'login');
    await page.click('#register-link');
    await page.fill('#name', 'Dana Browser');
    await page.fill('#email', 'dana@example.net');
    await page.fill('#password', 'dana-secret-pw');
    await snap(page, 'register');
    await Promise.all([page.waitForNavigation(), page.click('#create')]);
    check('registration asks to check the mail', /email with a link/.test(await page.textContent('#registered')));
    await snap(page, 'registered');

    // activate with the link from the outbox
    const mail = sql("SELECT body_text FROM outbox WHERE kind = 'activation' AND recipient = 'dana@example.net'");
    const link = (mail.match(/https?:\/\/\S+activate\?token=[A-Za-z0-9_-]+/) || [])[0];
    check('the activation mail is in the outbox with a link', !!link, mail);
    await page.goto(link);
    await snap(page, 'activate');
    await Promise.all([page.waitForNavigation(), page.click('#activate')]);
    check('activation leads to the login page', /\/login\?activated=1$/.test(page.url()), page.url());
    check('the customer is active', sql("SELECT status FROM customers WHERE email = 'dana@example.net'") === 'active');

    // the shop sends an order and an offer meanwhile
    fs.writeFileSync(path.join(downloads, 'orders.json'), JSON.stringify([{
      ref: 'W-1001', email: 'dana@example.net', status: 'delivered', delivered_at: '2026-01-10',
      lines: [{ sku: 'PX-200', description: 'PX-200 printer', quantity: 2, unit_price: '149.90' },
              { sku: 'TN-1', description: 'Toner <black>', quantity: 1, unit_price: '19.90' }] }]));
    caredesk('order', 'import', path.join(downloads, 'orders.json'));
    const token = caredesk('account', 'token', 'create', 'browser-test').trim();
    const res = await fetch(base + '/api/v1/offers', { method: 'POST',
      headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'dana@example.net', title: 'Service contract', ref: 'OF-W1',
                             lines: [{ sku: 'SVC', description: 'Yearly service', quantity: 1, unit_price_cents: 9900 }] }) });
    check('the shop creates an offer through the API', res.status === 201, String(res.status));

    // log in
    await snap(page, 'login-activated');
    await page.fill('#email', 'dana@example.net');
    await page.fill('#password', 'dana-secret-pw');
    await Promise.all([page.waitForNavigation(), page.click('#login')]);
    check('login shows the orders', page.url().endsWith('/orders'), page.url());
    const cookies = await ctx.cookies();
    const sess = cookies.find((c) => c.name === 'cd_session');
    check('session cookie is HttpOnly and SameSite=Lax', sess && sess.httpOnly && sess.sameSite === 'Lax');
    const row = await page.textContent('#orders');
    check('the order is listed with state and total', /W-1001/.test(row) && /delivered/.test(row) && /319\.70 EUR/.test(row), row);
    await snap(page, 'orders');
    await page.setViewportSize({ width: 375, height: 700 });
    await snap(page, 'orders-phone');
    await page.setViewportSize({ width: 1024, height: 700 });

    // order detail and invoice
    await Promise.all([page.waitForNavigation(), page.click('text=W-1001')]);
    check('order detail lists the lines', /Toner <black>/.test(await page.textContent('#lines')));
    await snap(page, 'order');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#invoice-pdf')]);
    const pdf = path.join(downloads, 'invoice.pdf');
    await download.saveAs(pdf);
    const bytes = fs.readFileSync(pdf);
    check('the invoice is a PDF', bytes.subarray(0, 5).toString() === '%PDF-');
    const text = execFileSync('pdftotext', [pdf, '-']).toString();
    check('the invoice PDF holds the order ref and total', /W-1001/.test(text) && /319\.70 EUR/.test(text), text);
    await page.goto(base + '/orders/W-1001/invoice');
    check('printable invoice', /Invoice W-1001/.test(await page.textContent('h1')));
    await snap(page, 'invoice');

    // accept the offer
    await page.goto(base + '/offers');
    await snap(page, 'offers');
    await Promise.all([page.waitForNavigation(), page.click('text=OF-W1')]);
    await page.fill('textarea[name=comment]', 'Yes please <b>soon</b>');
    await snap(page, 'offer');
    await Promise.all([page.waitForNavigation(), page.click('#accept')]);
    check('the offer is accepted', (await page.textContent('#offer-status')).trim() === 'accepted');
    check('accepting cannot be repeated: no form', (await page.$('#decide')) === null);
    check('the agent is told by mail', sql("SELECT count(*) FROM outbox WHERE kind = 'agent_offer_decided'") === '1');
    check('the decision is audited', sql("SELECT count(*) FROM audit_events WHERE entity = 'offer' AND to_state = 'accepted' AND channel = 'web'") === '1');
    await snap(page, 'offer-accepted');

    // open an RMA from the order line
    await page.goto(base + '/orders/W-1001');
    await page.selectOption('#rma-line', '1');
    await page.fill('#rma-qty', '1');
    await page.fill('#rma-reason', 'Paper jam on every page');
    await Promise.all([page.waitForNavigation(), page.click('#rma-submit')]);
    check('the RMA page opens', /\/rmas\/RMA-\d{6}$/.test(page.url()), page.url());
    const state = (await page.textContent('#rma-status')).trim();
    check('the RMA passed the checks (authorized)', state === 'authorized', state);
    await snap(page, 'rma');
    await page.goto(base + '/tickets');
    check('tickets and returns are listed', /RMA-/.test(await page.textContent('#rmas')) && /T-/.test(await page.textContent('#tickets')));
    await snap(page, 'tickets');
    await Promise.all([page.waitForNavigation(), page.click('#tickets a')]);
    await page.fill('textarea[name=text]', 'When can I send it?');
    await Promise.all([page.waitForNavigation(), page.click('#reply button')]);
    check('a reply from the web joins the conversation', /When can I send it\?/.test(await page.textContent('.conversation')));
    await snap(page, 'ticket');
    await page.goto(base + '/account');
    await snap(page, 'account');

    // log out
    await Promise.all([page.waitForNavigation(), page.click('#logout')]);
    check('logout leads to the login page', page.url().endsWith('/login'));
    await page.goto(base + '/orders');
    check('after logout the orders need a login', page.url().endsWith('/login'));
    await snap(page, 'logged-out');

    // an agent reads the reports on the admin pages
    caredesk('agent', 'password', 'ana', '--password', 'ana-password-1');
    await page.goto(base + '/admin/reports');
    check('the reports need an agent login', page.url().endsWith('/admin/login'));
    await page.fill('#login-name', 'ana');
    await page.fill('#password', 'ana-password-1');
    await Promise.all([page.waitForNavigation(), page.click('#login')]);
    check('the agent reaches the reports', page.url().endsWith('/admin/reports'), page.url());
    await page.selectOption('#report', 'tickets');
    await page.selectOption('#by', 'week');
    await Promise.all([page.waitForNavigation(), page.click('#show')]);
    check('the tickets report is shown', /Tickets per queue/.test(await page.textContent('#report-title')));
    const drawn = await page.$eval('#chart', (img) => img.complete && img.naturalWidth > 0);
    check('the chart image loads', drawn);
    await snap(page, 'admin-reports');
    await Promise.all([page.waitForNavigation(), page.click('#admin-logout')]);
    check('the agent logs out', page.url().endsWith('/admin/login'));
    check('no console errors (CSP violations, scripts)', problems.length === 0, problems.join('; '));
  } catch (e) {
    await snap(page, 'failure').catch(() => {});
    console.error('FAIL: ' + (e && e.stack || e));
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
})();
