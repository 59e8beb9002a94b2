import { register } from 'prom-client';
import { describe, expect, it } from 'vitest';
import './leader-election.js';

describe('leader_election_master_status', () => {
  it("has client-go 1.32's help text and type", async () => {
    expect(await register.metrics()).toContain(
      "# HELP leader_election_master_status [ALPHA] Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. 'name' is the string used to identify the lease. Please make sure to group by name.\n# TYPE leader_election_master_status gauge\n",
    );
  });
});
