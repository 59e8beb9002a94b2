// At least 30 bad manifests, each through tsctl and through the stock kubectl: every one gets a
// 4xx (or, for unparseable YAML, a client-side error) naming the problem; the server stays up
// and nothing is half-written.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { core, Pods } from '../../pkg/client/rest-client.js';
import { runTsctl } from '../helpers/tsctl.js';
import { startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { hasKubectl, kubectlAt } from '../helpers/kubectl.js';

let cp: TestControlPlane;
let dir: string;

const head = (name: string) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n`;
const podWith = (name: string, container: string, specExtra = '') => `${head(name)}spec:\n${specExtra}  containers:\n  - name: c\n    image: busybox\n${container}`;

interface Case {
  name: string;
  yaml: string;
  /** What the error must say (both tools). */
  expect: RegExp;
  /** Rejected before reaching the server (unparseable input). */
  clientSide?: boolean;
}

const big = 'x'.repeat(1600 * 1024);
const cmHead = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;
const secretHead = (name: string) => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n`;

const cases: Case[] = [
  { name: 'unknown top-level field', yaml: `${head('bad-1')}spek: {}\nspec:\n  containers:\n  - name: c\n    image: busybox\n`, expect: /unknown field "spek"/ },
  { name: 'unknown container field', yaml: podWith('bad-2', '    imagePullPolicyy: Always\n'), expect: /unknown field "spec\.containers\[0\]\.imagePullPolicyy"/ },
  { name: 'unknown metadata field', yaml: `apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad-3\n  labelz: {a: b}\nspec:\n  containers:\n  - name: c\n    image: busybox\n`, expect: /unknown field "metadata\.labelz"/ },
  { name: 'containerPort is a string', yaml: podWith('bad-4', '    ports:\n    - containerPort: http\n'), expect: /cannot unmarshal string into Go struct field ContainerPort\.spec\.containers\.ports\.containerPort of type int32/ },
  { name: 'command is a string', yaml: podWith('bad-5', '    command: sleep 10\n'), expect: /cannot unmarshal string into Go struct field Container\.spec\.containers\.command of type \[\]string/ },
  { name: 'containers is an object', yaml: `${head('bad-6')}spec:\n  containers:\n    name: c\n    image: busybox\n`, expect: /cannot unmarshal object into Go struct field PodSpec\.spec\.containers of type \[\]v1\.Container/ },
  { name: 'labels values are objects', yaml: `apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad-7\n  labels:\n    app: {x: 1}\nspec:\n  containers:\n  - name: c\n    image: busybox\n`, expect: /metadata\.labels/ },
  { name: 'terminationGracePeriodSeconds is a string', yaml: podWith('bad-8', '', '  terminationGracePeriodSeconds: soon\n'), expect: /cannot unmarshal string into Go struct field PodSpec\.spec\.terminationGracePeriodSeconds of type int64/ },
  { name: 'upper-case name', yaml: podWith('Bad-9', ''), expect: /metadata\.name: Invalid value: "Bad-9"/ },
  { name: 'name with underscore', yaml: podWith('bad_10', ''), expect: /metadata\.name: Invalid value: "bad_10"/ },
  { name: 'name too long', yaml: podWith('a'.repeat(254), ''), expect: /metadata\.name/ },
  { name: 'no containers', yaml: `${head('bad-12')}spec:\n  containers: []\n`, expect: /spec\.containers: Required value/ },
  { name: 'no spec', yaml: head('bad-13'), expect: /spec\.containers: Required value/ },
  { name: 'container without image', yaml: `${head('bad-14')}spec:\n  containers:\n  - name: c\n`, expect: /spec\.containers\[0\]\.image: Required value/ },
  { name: 'container without name', yaml: `${head('bad-15')}spec:\n  containers:\n  - image: busybox\n`, expect: /spec\.containers\[0\]\.name: Required value/ },
  { name: 'duplicate container names', yaml: `${head('bad-16')}spec:\n  containers:\n  - name: c\n    image: busybox\n  - name: c\n    image: busybox\n`, expect: /spec\.containers\[1\]\.name: Duplicate value: "c"/ },
  { name: 'init container name clashes with app container', yaml: `${head('bad-17')}spec:\n  initContainers:\n  - name: c\n    image: busybox\n  containers:\n  - name: c\n    image: busybox\n`, expect: /Duplicate value: "c"/ },
  { name: 'invalid container name', yaml: `${head('bad-18')}spec:\n  containers:\n  - name: Web_1\n    image: busybox\n`, expect: /spec\.containers\[0\]\.name: Invalid value: "Web_1"/ },
  { name: 'bad cpu quantity', yaml: podWith('bad-19', '    resources:\n      limits:\n        cpu: lots\n'), expect: /spec\.containers\[0\]\.resources\.limits\[cpu\]/ },
  { name: 'bad memory quantity', yaml: podWith('bad-20', '    resources:\n      requests:\n        memory: 12XB\n'), expect: /spec\.containers\[0\]\.resources\.requests\[memory\]/ },
  { name: 'request above limit', yaml: podWith('bad-21', '    resources:\n      requests:\n        cpu: "2"\n      limits:\n        cpu: "1"\n'), expect: /spec\.containers\[0\]\.resources\.requests(\[cpu\])?: Invalid value/ },
  { name: 'negative memory', yaml: podWith('bad-22', '    resources:\n      limits:\n        memory: -1Gi\n'), expect: /spec\.containers\[0\]\.resources\.limits\[memory\]/ },
  { name: 'port out of range', yaml: podWith('bad-23', '    ports:\n    - containerPort: 70000\n'), expect: /spec\.containers\[0\]\.ports\[0\]\.containerPort: Invalid value: 70000/ },
  { name: 'bad protocol', yaml: podWith('bad-24', '    ports:\n    - containerPort: 80\n      protocol: HTTP\n'), expect: /spec\.containers\[0\]\.ports\[0\]\.protocol: Unsupported value: "HTTP"/ },
  { name: 'bad restartPolicy', yaml: podWith('bad-25', '', '  restartPolicy: Sometimes\n'), expect: /spec\.restartPolicy: Unsupported value: "Sometimes"/ },
  { name: 'bad imagePullPolicy', yaml: podWith('bad-26', '    imagePullPolicy: Often\n'), expect: /spec\.containers\[0\]\.imagePullPolicy: Unsupported value: "Often"/ },
  { name: 'volumeMount of a missing volume', yaml: podWith('bad-27', '    volumeMounts:\n    - name: data\n      mountPath: /data\n'), expect: /spec\.containers\[0\]\.volumeMounts\[0\]\.name: (Not found|Invalid value): "data"/ },
  { name: 'probe without a handler', yaml: podWith('bad-28', '    livenessProbe:\n      periodSeconds: 5\n'), expect: /spec\.containers\[0\]\.livenessProbe/ },
  { name: 'invalid label key', yaml: `apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad-29\n  labels:\n    "-bad key": x\nspec:\n  containers:\n  - name: c\n    image: busybox\n`, expect: /metadata\.labels: Invalid value: "-bad key"/ },
  // (1.32's relaxed names: anything printable but '=')
  { name: 'invalid env var name', yaml: podWith('bad-30', '    env:\n    - name: "BAD=1"\n      value: x\n'), expect: /spec\.containers\[0\]\.env\[0\]\.name: Invalid value: "BAD=1": a valid environment variable name must consist only of printable ASCII characters other than '='/ },
  { name: 'bad toleration operator', yaml: podWith('bad-31', '', '  tolerations:\n  - key: k\n    operator: Maybe\n'), expect: /spec\.tolerations\[0\]\.operator/ },
  { name: 'wrong apiVersion for Pod', yaml: `apiVersion: v2\nkind: Pod\nmetadata:\n  name: bad-32\nspec:\n  containers:\n  - name: c\n    image: busybox\n`, expect: /v2|no matches for kind/ , clientSide: true },
  { name: 'oversize document', yaml: `${head('bad-33')}  annotations:\n    blob: "${big}"\nspec:\n  containers:\n  - name: c\n    image: busybox\n`, expect: /too large|Too long|must have at most/i },
  { name: 'broken YAML', yaml: `${head('bad-34')}spec:\n  containers:\n  - name: c\n    image: [busybox\n`, expect: /line \d+/, clientSide: true },
  { name: 'tabs in YAML', yaml: `${head('bad-35')}spec:\n\tcontainers: []\n`, expect: /line \d+|found character/, clientSide: true },
  { name: 'hostPort out of range', yaml: podWith('bad-36', '    ports:\n    - containerPort: 80\n      hostPort: 0\n      protocol: TCP\n    - containerPort: 81\n      hostPort: 99999\n'), expect: /spec\.containers\[0\]\.ports\[1\]\.hostPort/ },
  // ConfigMaps and Secrets.
  { name: 'config key with a space', yaml: `${cmHead('bad-37')}data:\n  "a b": x\n`, expect: /data\[a b\]: Invalid value: "a b": a valid config key must consist of alphanumeric characters/ },
  { name: 'key in both data and binaryData', yaml: `${cmHead('bad-38')}data:\n  k: x\nbinaryData:\n  k: eA==\n`, expect: /data\[k\]: Invalid value: "k": duplicate of key present in binaryData/ },
  { name: 'ConfigMap value is a number', yaml: `${cmHead('bad-39')}data:\n  port: 80\n`, expect: /cannot unmarshal number into Go struct field ConfigMap\.data of type string/ },
  { name: 'ConfigMap with a spec', yaml: `${cmHead('bad-40')}spec:\n  a: b\n`, expect: /unknown field "spec"/ },
  { name: 'ConfigMap binaryData not base64', yaml: `${cmHead('bad-41')}binaryData:\n  blob: "a b"\n`, expect: /binaryData\[blob\].*illegal base64 data at input byte 1/ },
  { name: 'Secret data not base64', yaml: `${secretHead('bad-42')}data:\n  password: hunter2!\n`, expect: /illegal base64 data at input byte 7/ },
  { name: 'TLS Secret without tls.key', yaml: `${secretHead('bad-43')}type: kubernetes.io/tls\nstringData:\n  tls.crt: cert\n`, expect: /data\[tls\.key\]: Required value/ },
  { name: 'Secret stringData key with a slash', yaml: `${secretHead('bad-44')}stringData:\n  a/b: x\n`, expect: /data\[a\/b\]: Invalid value: "a\/b"/ },
];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tskube-malformed-'));
  cp = await startControlPlane();
});
afterAll(async () => {
  await cp?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const tsctl = (...args: string[]) => runTsctl(cp.kubeconfig, args);

describe('malformed manifests', () => {
  it('has at least 30 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  for (const [i, c] of cases.entries()) {
    it(`tsctl: ${c.name}`, async () => {
      const file = join(dir, `case-${i}.yaml`);
      writeFileSync(file, c.yaml);
      const r = await tsctl('apply', '-f', file);
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(c.expect);
      // The error names the file, except a lone Invalid error, which kubectl's CheckErr says by
      // its object ('The Pod "x" is invalid: ...').
      const loneInvalid = /^The \S+ ".*" is invalid/.test(r.err);
      if (!loneInvalid) expect(r.err).toContain(`case-${i}.yaml`);
      if (!c.clientSide && !loneInvalid) expect(r.err).toMatch(/Error from server \((BadRequest|Invalid|RequestEntityTooLarge)\)/);
    });

    it.skipIf(!hasKubectl)(`kubectl: ${c.name}`, async () => {
      const file = join(dir, `case-${i}.yaml`);
      writeFileSync(file, c.yaml);
      const r = await kubectlAt(cp.kubeconfig, join(dir, 'cache'), ['apply', '-f', file]);
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(c.clientSide ? /error/i : c.expect);
    });
  }

  it('the server is still up and nothing was written', async () => {
    expect(await cp.admin.request('/healthz')).toBe('ok');
    const pods = await cp.admin.list(Pods, 'default');
    expect(pods.items.map((p) => p.metadata?.name)).toEqual([]);
    // (kube-root-ca.crt is the root CA publisher's, in every namespace)
    expect((await cp.admin.list(core('configmaps'), 'default')).items.map((c) => c.metadata?.name)).toEqual(['kube-root-ca.crt']);
    expect((await cp.admin.list(core('secrets'), 'default')).items).toEqual([]);
  });
});
