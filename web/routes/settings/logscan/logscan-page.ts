import { graphql, type ResultOf } from '$lib/graphql.ts';
import { LogScanRuleFragment } from '$lib/logscan.ts';

/** Settings / Log scanning: the global rules and the scanner's counters. */
export const GlobalRulesQuery = graphql(`
  query GlobalLogScanRules {
    logScanRules { ...LogScanRuleFields }
  }
`, [LogScanRuleFragment]);

export const ScannerStatsQuery = graphql(`
  query LogScannerStats {
    logScannerStats {
      lines matched emitted suppressed dropped rules loadedAt
      perHost { hostId host { id name } lines matched emitted suppressed dropped }
      compileErrors { ruleId ruleName hostId message }
    }
  }
`);
export type ScannerStats = ResultOf<typeof ScannerStatsQuery>['logScannerStats'];

/** A log-scan hit was logged: the counters moved. */
export const LogScanEventLogged = graphql(`
  subscription LogScanEventLogged {
    eventLogged(filter: { sources: ["logscan"] }) { id }
  }
`);

/** How often the stats panel asks again (suppressed and dropped hits log no event). */
export const STATS_REFRESH_MS = 4000;
