/** An IPv4 CIDR as a 32-bit network address and a prefix length. */
export interface Ipv4Cidr {
  readonly address: number;
  readonly prefix: number;
}

/** Parses `a.b.c.d/n`; throws on malformed input or host bits set. */
export function parseIpv4Cidr(cidr: string): Ipv4Cidr {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  const octets = match?.slice(1, 5).map(Number) ?? [];
  const prefix = Number(match?.[5]);
  if (!match || octets.some((o) => o > 255) || prefix > 32) {
    throw new Error(`"${cidr}" is not an IPv4 CIDR such as 10.20.0.0/16`);
  }
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  if (address % 2 ** (32 - prefix) !== 0) {
    throw new Error(
      `"${cidr}" has host bits set; did you mean ${formatIpv4Cidr({ address: address - (address % 2 ** (32 - prefix)), prefix })}?`,
    );
  }
  return { address, prefix };
}

/** Formats a parsed CIDR back to `a.b.c.d/n`. */
export function formatIpv4Cidr(cidr: Ipv4Cidr): string {
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(cidr.address / 2 ** shift) % 256);
  return `${octets.join(".")}/${cidr.prefix}`;
}

/** The CIDRs the {@link Network} creates. */

/** Why `cidr` is not a usable IPv4 network (e.g. host bits set), or undefined when it is. */
export function ipv4CidrProblem(cidr: string): string | undefined {
  try {
    parseIpv4Cidr(cidr);
    return undefined;
  } catch (error) {
    return (error as Error).message.replace(/^"[^"]*" /, "");
  }
}
