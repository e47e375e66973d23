/**
 * The reader page: a wallet in the browser (key in localStorage for the demo, signed state
 * in IndexedDB), a list of articles, and `wallet.fetch` to read them: a 402 is paid from
 * the channel and the article appears.
 */
import { createWallet, indexedDbStore, type Wallet } from '@trickle/client';
import {
  type Asset,
  asSecretKey,
  createSecretKey,
  decodePaymentResponseHeader,
  formatAmount,
  fromHex,
  http402Headers,
  publicKeyOf,
  toHex,
} from '@trickle/protocol';

interface Config {
  readonly hubUrl: string;
  readonly networkId: number;
  readonly hubId: string;
  readonly asset: Asset;
  readonly faucet: boolean;
}
interface ArticleSummary {
  readonly id: string;
  readonly title: string;
  readonly teaser: string;
  readonly price: string;
}

const config = JSON.parse(document.getElementById('config')?.textContent ?? '{}') as Config;
const depositUnits = 100_000n; // $0.10 at scale 6
const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
/** Dollars with at least two decimals and no more than needed: $0.10, $0.098, $0.0935. */
function money(units: bigint): string {
  const text = formatAmount(units, config.asset);
  const [whole, fraction = ''] = text.split('.');
  return `$${whole}.${fraction.padEnd(2, '0')}`;
}
/** Which article each invoice paid for, to label the history (kept beside the wallet). */
const titles = new Map<string, string>(JSON.parse(localStorage.getItem('trickle-demo-titles') ?? '[]'));

function showError(message: string): void {
  const box = $('error');
  box.textContent = message;
  box.hidden = false;
  setTimeout(() => {
    box.hidden = true;
  }, 6000);
}

function secretKey() {
  let hex = localStorage.getItem('trickle-demo-key');
  if (hex === null) {
    hex = toHex(createSecretKey(randomBytes));
    localStorage.setItem('trickle-demo-key', hex);
  }
  return asSecretKey(fromHex(hex, 32));
}

function renderWallet(wallet: Wallet): void {
  const panel = document.querySelector<HTMLElement>('.wallet')!;
  const balance = wallet.balance();
  panel.dataset.state = wallet.connected ? 'ready' : 'offline';
  $('wallet-status').textContent = wallet.connected ? 'Connected to the hub' : 'Reconnecting…';
  $('start').hidden = balance !== undefined || !config.faucet;
  $('balance').textContent = balance === undefined ? 'No channel yet' : money(balance.available);
  $('deposit').textContent = balance === undefined ? '' : `left of ${money(balance.deposit)}`;
  $('balance').dataset.units = balance === undefined ? '' : balance.available.toString();
}

function renderHistory(wallet: Wallet): void {
  const rows = wallet.history();
  $('history-empty').hidden = rows.length > 0;
  $('history').hidden = rows.length === 0;
  const body = $('history').querySelector('tbody')!;
  body.replaceChildren(
    ...rows.map((row) => {
      const tr = document.createElement('tr');
      const cells = [titles.get(row.invoiceId) ?? 'Article', money(BigInt(row.amount)), `#${row.seq}`];
      cells.forEach((text, i) => {
        const td = document.createElement('td');
        if (i === 1) td.className = 'num';
        if (i === 2) {
          const code = document.createElement('code');
          code.textContent = text;
          code.title = row.receipt;
          td.append(code);
        } else td.textContent = text;
        tr.append(td);
      });
      return tr;
    }),
  );
  const total = rows.reduce((sum, row) => sum + BigInt(row.amount), 0n);
  $('history-total').textContent = money(total);
}

async function read(wallet: Wallet, article: ArticleSummary, card: HTMLElement, button: HTMLButtonElement) {
  button.disabled = true;
  try {
    const response = await wallet.fetch(`/articles/${article.id}`);
    if (!response.ok) throw new Error(`the site answered ${response.status}`);
    const { body } = (await response.json()) as { body: string[] };
    const header = response.headers.get(http402Headers.paymentResponse);
    const settled = header === null ? undefined : decodePaymentResponseHeader(header);
    if (settled?.success === true) {
      titles.set(settled.transaction, article.title);
      localStorage.setItem('trickle-demo-titles', JSON.stringify([...titles]));
    }
    card.querySelector('.body')?.remove();
    const text = document.createElement('div');
    text.className = 'body';
    for (const paragraph of body) {
      const p = document.createElement('p');
      p.textContent = paragraph;
      text.append(p);
    }
    const note = document.createElement('p');
    note.className = 'paid-note';
    note.textContent = settled?.success
      ? `Paid ${article.price}, receipt checked by the site.`
      : 'Already yours: read again for free.';
    text.append(note);
    card.append(text);
    button.textContent = 'Read again';
    button.className = 'secondary';
    renderHistory(wallet);
  } catch (error) {
    showError(`Could not read "${article.title}": ${(error as Error).message}`);
  } finally {
    button.disabled = false;
  }
}

async function main(): Promise<void> {
  const key = secretKey();
  $('wallet-key').textContent = `Demo key ${toHex(publicKeyOf(key)).slice(0, 16)}… (kept in this browser)`;
  const wallet = await createWallet({
    key,
    hub: { url: config.hubUrl, networkId: config.networkId, hubId: config.hubId },
    store: indexedDbStore({ name: 'trickle-demo-reader' }),
  });
  const refresh = () => {
    renderWallet(wallet);
    renderHistory(wallet);
  };
  for (const event of ['receipt', 'disconnected', 'reconnected', 'resynced', 'closed'] as const)
    wallet.on(event, refresh);
  wallet.on('error', (error) => showError(error.message));
  refresh();
  setTimeout(refresh, 500);

  $<HTMLButtonElement>('start').addEventListener('click', async (event) => {
    const button = event.currentTarget as HTMLButtonElement;
    button.disabled = true;
    try {
      const funded = await fetch('/demo/fund', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ publicKey: toHex(wallet.publicKey) }),
      });
      if (!funded.ok) throw new Error(`funding failed (${funded.status})`);
      await wallet.openChannel({ deposit: depositUnits, asset: config.asset });
      refresh();
    } catch (error) {
      showError(`Could not open a channel: ${(error as Error).message}`);
    } finally {
      button.disabled = false;
    }
  });

  const list = (await (await fetch('/api/articles')).json()) as ArticleSummary[];
  $('articles').replaceChildren(
    ...list.map((article) => {
      const card = document.createElement('li');
      card.className = 'article';
      card.dataset.id = article.id;
      const title = document.createElement('h3');
      title.textContent = article.title;
      const teaser = document.createElement('p');
      teaser.className = 'teaser';
      teaser.textContent = article.teaser;
      const meta = document.createElement('div');
      meta.className = 'meta';
      const price = document.createElement('span');
      price.className = 'price';
      price.textContent = article.price;
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = 'Read';
      button.addEventListener('click', () => {
        if (wallet.balance() === undefined) showError('Open a demo channel first (top right).');
        else void read(wallet, article, card, button);
      });
      meta.append(price, button);
      card.append(title, teaser, meta);
      return card;
    }),
  );
  document.body.dataset.ready = 'true';
}

main().catch((error: unknown) => showError(`The wallet could not start: ${(error as Error).message}`));
