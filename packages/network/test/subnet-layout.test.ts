import {
  formatIpv4Cidr,
  MAX_AVAILABILITY_ZONES,
  parseIpv4Cidr,
  SUBNET_SLOTS,
  subnetLayout,
} from "../src/subnet-layout";

/** [first, last] address of a CIDR. */
function range(cidr: string): [number, number] {
  const { address, prefix } = parseIpv4Cidr(cidr);
  return [address, address + 2 ** (32 - prefix) - 1];
}

function overlaps(a: string, b: string): boolean {
  const [a0, a1] = range(a);
  const [b0, b1] = range(b);
  return a0 <= b1 && b0 <= a1;
}

function contains(outer: string, inner: string): boolean {
  const [o0, o1] = range(outer);
  const [i0, i1] = range(inner);
  return o0 <= i0 && i1 <= o1;
}

describe("parseIpv4Cidr / formatIpv4Cidr", () => {
  it("round-trips", () => {
    for (const cidr of ["10.0.0.0/16", "172.31.128.0/20", "192.168.1.0/24", "0.0.0.0/0"]) {
      expect(formatIpv4Cidr(parseIpv4Cidr(cidr))).toBe(cidr);
    }
  });

  it("rejects malformed CIDRs and host bits", () => {
    expect(() => parseIpv4Cidr("10.0.0/16")).toThrow(/not an IPv4 CIDR/);
    expect(() => parseIpv4Cidr("10.0.0.256/16")).toThrow(/not an IPv4 CIDR/);
    expect(() => parseIpv4Cidr("10.0.1.0/16")).toThrow(/did you mean 10.0.0.0\/16/);
  });
});

describe("subnetLayout", () => {
  it("caps subnets at /24 in large VPCs and keeps them at the start of the range", () => {
    const layout = subnetLayout("10.99.0.0/16", 3);
    expect(layout.private).toEqual(["10.99.0.0/24", "10.99.1.0/24", "10.99.2.0/24"]);
    expect(layout.public).toBe("10.99.6.0/24");
  });

  it("cuts a /24 VPC into eight /27 slots", () => {
    const layout = subnetLayout("192.168.10.0/24", 2);
    expect(layout.subnetPrefix).toBe(27);
    expect(layout.private).toEqual(["192.168.10.0/27", "192.168.10.32/27"]);
    expect(layout.public).toBe("192.168.10.192/27");
  });

  it.each(["10.0.0.0/16", "10.8.0.0/20", "10.8.4.0/22", "10.8.4.0/24"])(
    "gives %s non-overlapping subnets inside the VPC for every AZ count",
    (vpc) => {
      for (let azs = 1; azs <= MAX_AVAILABILITY_ZONES; azs++) {
        const layout = subnetLayout(vpc, azs);
        const all = [...layout.private, layout.public];
        expect(layout.private).toHaveLength(azs);
        for (const [i, a] of all.entries()) {
          expect(contains(vpc, a)).toBe(true);
          for (const b of all.slice(i + 1)) expect(overlaps(a, b)).toBe(false);
        }
      }
    },
  );

  it("never moves an existing subnet when an AZ is added", () => {
    const two = subnetLayout("10.1.0.0/20", 2);
    const three = subnetLayout("10.1.0.0/20", 3);
    expect(three.private.slice(0, 2)).toEqual(two.private);
    expect(three.public).toBe(two.public);
  });

  it("has a slot for every AZ plus the public subnet", () => {
    expect(MAX_AVAILABILITY_ZONES + 1).toBeLessThanOrEqual(SUBNET_SLOTS);
  });

  it("rejects VPC prefixes outside /16-/24 and impossible AZ counts", () => {
    expect(() => subnetLayout("10.0.0.0/15", 2)).toThrow(/\/16 to \/24/);
    expect(() => subnetLayout("10.0.0.0/25", 2)).toThrow(/\/16 to \/24/);
    expect(() => subnetLayout("10.0.0.0/16", MAX_AVAILABILITY_ZONES + 1)).toThrow(/AZs/);
  });
});
