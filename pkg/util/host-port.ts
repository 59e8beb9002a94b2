// net.JoinHostPort: host and port as one address, an IPv6 host in brackets ([::1]:6443), as
// URLs, gRPC targets and kubeadm's join commands write it.
export const joinHostPort = (host: string, port: number | string): string => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);
