import { gqlOk, login } from '../../helpers/gql.ts';
import { FakeAgent } from './agent.ts';

/** Real data through the API, as an admin would create it. */
export interface EnrolledHost {
  id: string;
  name: string;
  token: string;
}

export class Fleet {
  private constructor(readonly url: string, readonly cookie: string) {}

  static async admin(url: string): Promise<Fleet> {
    return new Fleet(url, await login(url));
  }

  gql<T = any>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    return gqlOk<T>(this.url, query, variables, { cookie: this.cookie });
  }

  async enroll(name: string, opts: { alwaysOn?: boolean; tags?: string[] } = {}): Promise<EnrolledHost> {
    const d = await this.gql('mutation($i: EnrollHostInput!){ enrollHost(input: $i){ agentToken host { id name } } }', {
      i: { name, alwaysOn: opts.alwaysOn ?? true, tags: opts.tags ?? [] },
    });
    return { id: d.enrollHost.host.id, name: d.enrollHost.host.name, token: d.enrollHost.agentToken };
  }

  /** withOnlineHost enrolls a host, connects an agent for it (hostname `<name>.internal`), runs `fn` and always disconnects the agent. */
  async withOnlineHost<T>(name: string, fn: (host: EnrolledHost, agent: FakeAgent) => Promise<T>): Promise<T> {
    const host = await this.enroll(name);
    const agent = await FakeAgent.connect(this.url, host.token, `${name}.internal`);
    try {
      return await fn(host, agent);
    } finally {
      await agent.close();
    }
  }

  async createUser(username: string, password: string, role: 'VIEWER' | 'OPERATOR' | 'ADMIN'): Promise<void> {
    await this.gql('mutation($u:String!,$p:String!,$r:Role!){ createUser(username:$u,password:$p,role:$r){ id } }', { u: username, p: password, r: role });
  }

  async openAlertCount(): Promise<number> {
    return (await this.gql('{ alertCounts { open } }')).alertCounts.open as number;
  }

  /**
   * failJob: the agent is asked to run a job (runJob) and reports it failed;
   * the engine raises <kind>_failed for the host (backup_failed by default).
   */
  async failJob(agent: FakeAgent, hostId: string, opts: { kind?: 'BACKUP' | 'CHECK' | 'PRUNE' | 'FORGET'; error?: string } = {}): Promise<string> {
    const kind = opts.kind ?? 'BACKUP';
    const paths = kind === 'BACKUP' ? ['/var/lib/postgresql'] : null;
    const d = await this.gql('mutation($h: ID!, $k: JobKind!, $p: [String!]){ runJob(hostId: $h, kind: $k, paths: $p){ id } }', { h: hostId, k: kind, p: paths });
    // Frames are buffered: a command.run that arrived before this call is still found.
    const command = await agent.next('command.run');
    const jobId = (command.payload.jobId as string) ?? d.runJob.id;
    await agent.failJob(jobId, opts.error);
    return jobId;
  }
}
