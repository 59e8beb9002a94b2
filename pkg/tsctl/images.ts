// tsctl image: the node's image store (the runtime's content store under DATA_DIR/runtime):
// build-busybox, pull (with progress), push, import, export, ls, rm.
import { join } from 'node:path';
import { ImageManager } from '../runtime/image-service.js';
import type { PullProgress } from '../runtime/registry-client.js';
import { formatTable } from './output.js';
import type { Out } from './commands.js';

const usage = `Usage:
  tsctl image build-busybox NAME      build a small image from the machine's busybox-static
  tsctl image pull REF                pull from a registry (plain HTTP for loopback registries)
  tsctl image push NAME [TARGET]      push to a registry, e.g. 127.0.0.1:5000/busybox:latest
  tsctl image import DIR|TAR          import an OCI image layout (air-gapped nodes)
  tsctl image export NAME DIR         write an OCI image layout
  tsctl image ls | rm NAME
`;

function progressLine(p: PullProgress): string {
  switch (p.kind) {
    case 'resolved':
      return `resolved ${p.ref}: ${p.layers} layer(s), ${mb(p.totalBytes)} (${p.manifestDigest.slice(0, 19)})`;
    case 'blob-start':
      return `${p.digest.slice(7, 19)}: ${p.cached ? 'already present' : `downloading ${mb(p.size)}`}`;
    case 'blob-progress':
      return `${p.digest.slice(7, 19)}: ${mb(p.bytes)} / ${mb(p.size)}`;
    case 'blob-done':
      return `${p.digest.slice(7, 19)}: verified`;
  }
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)}MB`;

export async function imageCommand(args: string[], dataDir: string, io: Out): Promise<number> {
  const [sub, ...rest] = args;
  const images = new ImageManager(join(dataDir, 'runtime'));
  await images.init();
  switch (sub) {
    case 'build-busybox': {
      if (!rest[0]) break;
      const name = await images.buildBusybox(rest[0]);
      io.out(`built ${ImageManager.display(name)}\n`);
      return 0;
    }
    case 'pull': {
      if (!rest[0]) break;
      let last = 0;
      const id = await images.pullImage(rest[0], {
        onProgress: (p: PullProgress) => {
          const now = Date.now();
          if (p.kind === 'blob-progress' && now - last < 500) return;
          last = now;
          io.err(progressLine(p) + '\n');
        },
      });
      io.out(`pulled ${rest[0]} (${id})\n`);
      return 0;
    }
    case 'push': {
      if (!rest[0]) break;
      const digest = await images.pushImage(rest[0], rest[1]);
      io.out(`pushed ${rest[1] ?? rest[0]} ${digest}\n`);
      return 0;
    }
    case 'import': {
      if (!rest[0]) break;
      for (const n of await images.importImage(rest[0])) io.out(`imported ${ImageManager.display(n)}\n`);
      return 0;
    }
    case 'export': {
      if (!rest[0] || !rest[1]) break;
      await images.exportImage(rest[0], rest[1]);
      io.out(`exported ${rest[0]} to ${rest[1]}\n`);
      return 0;
    }
    case 'ls':
    case 'list': {
      const rows = (await images.listImages()).flatMap((i) => (i.repoTags.length ? i.repoTags : ['<none>']).map((t) => [ImageManager.display(t), i.id.replace(/^sha256:/, '').slice(0, 12), mb(i.size)]));
      io.out(formatTable(['IMAGE', 'ID', 'SIZE'], rows));
      return 0;
    }
    case 'rm': {
      if (!rest[0]) break;
      await images.removeImage(rest[0]);
      io.out(`removed ${rest[0]}\n`);
      return 0;
    }
  }
  io.err(usage);
  return 2;
}
