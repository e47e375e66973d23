/** Every conformance suite on SQLite. */
import { auditConformance } from './conformance/auditConformance.js';
import { bankConformance } from './conformance/bankConformance.js';
import { channelConformance } from './conformance/channelConformance.js';
import { ledgerConformance } from './conformance/ledgerConformance.js';
import { propertyConformance } from './conformance/propertyConformance.js';
import { settlementConformance } from './conformance/settlementConformance.js';
import { sqliteAdapter } from './helpers/adapters.js';

ledgerConformance(sqliteAdapter);
channelConformance(sqliteAdapter);
settlementConformance(sqliteAdapter);
auditConformance(sqliteAdapter);
bankConformance(sqliteAdapter, { writers: 8, opsPerWriter: 60, readers: 2 });
propertyConformance(sqliteAdapter, 60);
