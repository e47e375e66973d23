/** Every conformance suite on the memory twin. */
import { auditConformance } from './conformance/auditConformance.js';
import { bankConformance } from './conformance/bankConformance.js';
import { channelConformance } from './conformance/channelConformance.js';
import { ledgerConformance } from './conformance/ledgerConformance.js';
import { propertyConformance } from './conformance/propertyConformance.js';
import { settlementConformance } from './conformance/settlementConformance.js';
import { memoryAdapter } from './helpers/adapters.js';

ledgerConformance(memoryAdapter);
channelConformance(memoryAdapter);
settlementConformance(memoryAdapter);
auditConformance(memoryAdapter);
bankConformance(memoryAdapter, { writers: 8, opsPerWriter: 60, readers: 2 });
propertyConformance(memoryAdapter, 150);
