/** The memory invoice store against the one conformance suite every store runs. */
import { createMemoryInvoiceStore } from '../src/index.js';
import { invoiceStoreConformance } from './invoiceStoreConformance.js';

invoiceStoreConformance('memory', async (clock) => ({
  store: createMemoryInvoiceStore({ clock }),
  close: async () => undefined,
}));
