/** Every conformance suite on PostgreSQL (a fresh schema per ledger, dropped after). */
import { channelConformance } from './conformance/channelConformance.js';
import { ledgerConformance } from './conformance/ledgerConformance.js';
import { postgresAdapter } from './helpers/adapters.js';

ledgerConformance(postgresAdapter);
channelConformance(postgresAdapter);
