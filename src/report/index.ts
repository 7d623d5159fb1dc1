// The report layer's public surface (issue 17): the model of what a mapped
// policy checks (buildReport), its HTML pages (renderReport), writing them
// (writeReport), and reading the loader's events (parseEvents).
export {
  buildReport,
  regionsOf,
  formatOperand,
  compartmentFiles,
  anchorOf,
  pageName,
  describeReason,
  ACCESS_STATUSES,
  SITE_STATUSES,
  REGIONS,
  type ReportModel,
  type BuildReportOptions,
  type AccessView,
  type SiteView,
  type FileView,
  type LineView,
  type SourceText,
  type ViolationView,
  type AllocationView,
  type StatusCounts,
  type Figures,
  type AccessStatus,
  type SiteStatus,
  type Region,
} from './model.js';
export {
  parseEvents,
  parseLoaderLog,
  parseEventsJsonl,
  eventsToJsonl,
  mergeEvents,
  parseViolationLine,
  parseRefusalLine,
  unescapeLoaderName,
  type RunEvents,
  type ViolationEvent,
  type RefusalEvent,
  type CountersEvent,
  type EventRecord,
} from './events.js';
export {
  renderReport,
  renderIndex,
  renderFile,
  renderViolations,
  renderAllocations,
  ACCESS_STATUS_INFO,
  SITE_STATUS_INFO,
} from './html.js';
export { summaryLines } from './text.js';
export { esc, jsonForScript } from './escape.js';
export { loadSource, loadSources, candidatePaths, type LoadSourcesOptions } from './sources.js';
export { writeReport, type WriteReportOptions, type WrittenReport } from './write.js';
// kept for importers of `kcompart/report`: the size the overview counts is the policy's own
export { legalSetSize } from '../policy/index.js';
