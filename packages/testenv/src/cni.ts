import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Debian's containernetworking-plugins (bridge, host-local, loopback). */
export const CNI_BIN_DIR = '/usr/lib/cni';

export interface PodNetwork {
  /** The CNI network's name. */
  name: string;
  bridge: string;
  /** The pods' addresses; the bridge takes the first as the pods' gateway. */
  subnet: string;
  /** The folder holding the conflist: containerd's CNI conf_dir. */
  confDir: string;
}

/**
 * One bridge, host-local addresses, in a folder of the node's own (the host's /etc/cni and
 * /var/lib/cni are not touched). No masquerading: pods only talk to the host's addresses (the
 * apiserver) and to each other, and a rule per pod would be one more leftover when killed.
 */
export function writePodNetwork(dir: string): PodNetwork {
  const network: PodNetwork = {
    name: 'guitars-testenv',
    bridge: 'testenv0',
    subnet: '10.244.0.0/24',
    confDir: join(dir, 'net.d'),
  };
  mkdirSync(network.confDir, { recursive: true });
  const conflist = {
    cniVersion: '1.0.0',
    name: network.name,
    plugins: [
      {
        type: 'bridge',
        bridge: network.bridge,
        isGateway: true,
        ipMasq: false,
        // A pod reaching itself through a Service goes out of the bridge and back in.
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: network.subnet }]],
          routes: [{ dst: '0.0.0.0/0' }],
          dataDir: join(dir, 'ipam'),
        },
      },
    ],
  };
  writeFileSync(
    join(network.confDir, '10-guitars-testenv.conflist'),
    `${JSON.stringify(conflist, null, 2)}\n`,
  );
  return network;
}
