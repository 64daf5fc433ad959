/**
 * PII read budgets and two-person bulk exports (DESIGN §3 step 10, §5): how many different people one
 * staff member or key may reveal an hour and a day, and the only way past that, an export a second person
 * approves. Re-exported by the shield's index.
 */
export type { BudgetTables } from './budgets.tables.ts';
export {
  createPiiBudget,
  DAY_MS,
  HOUR_MS,
  type PiiBudgetDeps,
  type PiiBudgetGuard,
} from './pii-budget.service.ts';
export { registerPiiExportRoutes } from './pii-exports.routes.ts';
export {
  createPiiExports,
  EXPORT_DOWNLOAD_WINDOW_MS,
  EXPORT_FIELDS,
  EXPORT_REQUEST_TTL_MS,
  type ExportedPerson,
  type ExportField,
  type ExportSubjects,
  type PiiExports,
  type PiiExportsDeps,
} from './pii-exports.service.ts';
