/**
 * The pay-a-friend page (issue 15): every tab is a wallet of its own (its key in this
 * tab's sessionStorage) that can receive. Without a request in the URL the tab asks for
 * money: it signs a money request and shows it as a QR code and a link, and lists what it
 * receives. With `#request=<token>` the tab pays it: it checks the payee's signature,
 * opens a demo channel (the site's faucet funds it) and pays the payee through the hub.
 */
import { createWallet, memoryStore, type Wallet } from '@trickle/client';
import {
  type Asset,
  asSecretKey,
  createSecretKey,
  decodeMoneyRequest,
  formatAmount,
  fromHex,
  moneyRequestPayee,
  parseAmount,
  publicKeyOf,
  toHex,
} from '@trickle/protocol';
import QRCode from 'qrcode';

interface Config {
  readonly hubUrl: string;
  readonly networkId: number;
  readonly hubId: string;
  readonly asset: Asset;
  readonly faucet: boolean;
}

const config = JSON.parse(document.getElementById('config')?.textContent ?? '{}') as Config;
const depositUnits = 100_000n; // $0.10 at scale 6
const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const money = (units: bigint) => `$${formatAmount(units, config.asset)}`;

function showError(message: string): void {
  const box = $('error');
  box.textContent = message;
  box.hidden = false;
}

/** One key per tab, so two tabs are two wallets. */
function secretKey() {
  let hex = sessionStorage.getItem('trickle-p2p-key');
  if (hex === null) {
    hex = toHex(createSecretKey(randomBytes));
    sessionStorage.setItem('trickle-p2p-key', hex);
  }
  return asSecretKey(fromHex(hex, 32));
}

async function main(): Promise<void> {
  const key = secretKey();
  const wallet = await createWallet({
    key,
    hub: { url: config.hubUrl, networkId: config.networkId, hubId: config.hubId },
    store: memoryStore(),
    receive: true,
  });
  $('payee').textContent = `${wallet.payeeId.slice(0, 16)}…`;
  const showStatus = () => {
    document.querySelector<HTMLElement>('.wallet')!.dataset.state = wallet.connected ? 'ready' : 'offline';
    $('wallet-status').textContent = wallet.connected ? 'Connected to the hub' : 'Connecting…';
  };
  wallet.on('reconnected', showStatus);
  wallet.on('disconnected', showStatus);
  const token = new URLSearchParams(location.hash.slice(1)).get('request');
  if (token === null) receiveMode(wallet, showStatus);
  else payMode(wallet, key, token, showStatus);
}

function receiveMode(wallet: Wallet, showStatus: () => void): void {
  const received = $('received');
  wallet.on('payment', (payment) => {
    $('received-empty').hidden = true;
    const item = document.createElement('li');
    item.dataset.units = payment.amount.toString();
    const from = payment.from === undefined ? 'someone' : `${toHex(payment.from).slice(0, 8)}…`;
    item.textContent = `${money(payment.amount)} from ${from}: ${payment.memo}`;
    received.append(item);
    document.body.dataset.received = String(wallet.incoming().length);
  });
  const ready = setInterval(() => {
    showStatus();
    if (!wallet.connected) return;
    clearInterval(ready);
    ($('request') as HTMLButtonElement).disabled = false;
    document.body.dataset.ready = 'true';
  }, 50);
  $('ask').addEventListener('submit', (event) => {
    event.preventDefault();
    void (async () => {
      try {
        const amount = parseAmount(($('amount') as HTMLInputElement).value.trim(), config.asset);
        const memo = ($('memo') as HTMLInputElement).value;
        const token = wallet.requestMoney({ amount, memo, asset: config.asset, expiresInMs: 3_600_000 });
        const link = `${location.origin}${location.pathname}#request=${token}`;
        await QRCode.toCanvas($('qr'), link, { errorCorrectionLevel: 'L', margin: 2, width: 320 });
        const anchor = $('link') as HTMLAnchorElement;
        anchor.href = link;
        $('request-shown').hidden = false;
        document.body.dataset.requested = 'true';
      } catch (error) {
        showError((error as Error).message);
      }
    })();
  });
}

function payMode(wallet: Wallet, key: ReturnType<typeof secretKey>, token: string, showStatus: () => void): void {
  $('receive').hidden = true;
  $('pay').hidden = false;
  let request: ReturnType<typeof decodeMoneyRequest>;
  try {
    request = decodeMoneyRequest(token);
  } catch {
    showError('This link does not hold a valid request.');
    return;
  }
  $('ask-text').textContent = `${money(request.amount)} for “${request.memo}”`;
  $('ask-payee').textContent = `to payee ${toHex(moneyRequestPayee(request)).slice(0, 16)}…, signed by its key`;
  const ready = setInterval(() => {
    showStatus();
    if (!wallet.connected) return;
    clearInterval(ready);
    ($('pay-button') as HTMLButtonElement).disabled = false;
    document.body.dataset.ready = 'true';
  }, 50);
  $('pay-button').addEventListener('click', () => {
    void (async () => {
      const paid = $('paid');
      ($('pay-button') as HTMLButtonElement).disabled = true;
      try {
        if (wallet.balance() === undefined) {
          paid.textContent = 'Opening a $0.10 demo channel…';
          const funded = await fetch('/demo/fund', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ publicKey: toHex(publicKeyOf(key)) }),
          });
          if (!funded.ok) throw new Error(`the faucet answered ${funded.status}`);
          await wallet.openChannel({ deposit: depositUnits, asset: config.asset });
        }
        const receipt = await wallet.payRequest(token, { reveal: true });
        paid.textContent = `Paid ${money(receipt.amount)}. ${money(wallet.balance()?.available ?? 0n)} left.`;
        paid.dataset.state = 'paid';
        paid.dataset.units = receipt.amount.toString();
      } catch (error) {
        paid.dataset.state = 'failed';
        showError((error as Error).message);
      }
    })();
  });
}

void main().catch((error: unknown) => showError((error as Error).message));
