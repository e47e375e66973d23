/** Every conformance suite on PostgreSQL (a fresh schema per ledger, dropped after). */
import { auditConformance } from './conformance/auditConformance.js';
import { bankConformance } from './conformance/bankConformance.js';
import { channelConformance } from './conformance/channelConformance.js';
import { ledgerConformance } from './conformance/ledgerConformance.js';
import { propertyConformance } from './conformance/propertyConformance.js';
import { settlementConformance } from './conformance/settlementConformance.js';
import { postgresAdapter } from './helpers/adapters.js';

ledgerConformance(postgresAdapter);
channelConformance(postgresAdapter);
settlementConformance(postgresAdapter);
auditConformance(postgresAdapter);
bankConformance(postgresAdapter, { writers: 8, opsPerWriter: 40, readers: 2 });
propertyConformance(postgresAdapter, 15);
