//! Architectures: their OCI (`SCMP_ARCH_*`), Go (`amd64`, as moby's `includes.arches` names
//! them) and audit (`AUDIT_ARCH_*`) names, and their syscall tables from the `syscalls` crate.

use std::fmt;

/// An architecture a profile can target and Tailor has a syscall table for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Arch {
    X86_64,
    X86,
    Aarch64,
    Arm,
    Riscv64,
    S390x,
    Ppc64le,
}

impl Arch {
    pub const ALL: [Arch; 7] = [
        Arch::X86_64,
        Arch::X86,
        Arch::Aarch64,
        Arch::Arm,
        Arch::Riscv64,
        Arch::S390x,
        Arch::Ppc64le,
    ];

    /// The architecture Tailor itself was built for, if it has a table for it.
    pub fn native() -> Option<Arch> {
        Arch::from_name(std::env::consts::ARCH)
    }

    /// The OCI runtime-spec / libseccomp name, e.g. `SCMP_ARCH_X86_64`.
    pub fn oci_name(self) -> &'static str {
        match self {
            Arch::X86_64 => "SCMP_ARCH_X86_64",
            Arch::X86 => "SCMP_ARCH_X86",
            Arch::Aarch64 => "SCMP_ARCH_AARCH64",
            Arch::Arm => "SCMP_ARCH_ARM",
            Arch::Riscv64 => "SCMP_ARCH_RISCV64",
            Arch::S390x => "SCMP_ARCH_S390X",
            Arch::Ppc64le => "SCMP_ARCH_PPC64LE",
        }
    }

    /// The companion architectures a runtime should accept too for this native one: the
    /// 32-bit compat ABIs the same kernel runs (moby's `archMap` lists the same ones). A
    /// recorded profile lists only the native one, so a 32-bit binary is refused by default.
    pub fn sub_architectures(self) -> &'static [&'static str] {
        match self {
            Arch::X86_64 => &["SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            Arch::Aarch64 => &["SCMP_ARCH_ARM"],
            Arch::S390x => &["SCMP_ARCH_S390"],
            _ => &[],
        }
    }

    /// The Go `GOARCH` names moby's `includes.arches`/`excludes.arches` use for it.
    fn go_names(self) -> &'static [&'static str] {
        match self {
            Arch::X86_64 => &["amd64", "x86_64"],
            Arch::X86 => &["x86", "386"],
            Arch::Aarch64 => &["arm64", "aarch64"],
            Arch::Arm => &["arm"],
            Arch::Riscv64 => &["riscv64"],
            Arch::S390x => &["s390x"],
            Arch::Ppc64le => &["ppc64le"],
        }
    }

    /// Whether a moby `arches` filter entry (`amd64`, `arm64`, …) names this architecture.
    pub fn matches_filter_name(self, name: &str) -> bool {
        self.go_names().contains(&name) || self.oci_name().eq_ignore_ascii_case(name)
    }

    /// The `AUDIT_ARCH_*` value the kernel prints as `arch=` in audit records.
    pub fn audit_arch(self) -> u32 {
        match self {
            Arch::X86_64 => 0xc000_003e,
            Arch::X86 => 0x4000_0003,
            Arch::Aarch64 => 0xc000_00b7,
            Arch::Arm => 0x4000_0028,
            Arch::Riscv64 => 0xc000_00f3,
            Arch::S390x => 0x8000_0016,
            Arch::Ppc64le => 0xc000_0015,
        }
    }

    pub fn from_audit_arch(value: u32) -> Option<Arch> {
        Arch::ALL.into_iter().find(|arch| arch.audit_arch() == value)
    }

    /// Reads `x86_64`, `amd64`, `aarch64`, `arm64`, `SCMP_ARCH_X86_64`, … .
    pub fn from_name(name: &str) -> Option<Arch> {
        Arch::ALL
            .into_iter()
            .find(|arch| arch.matches_filter_name(name) || arch.short_name() == name)
    }

    /// The name users type: `x86_64`, `aarch64`, … .
    pub fn short_name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::X86 => "x86",
            Arch::Aarch64 => "aarch64",
            Arch::Arm => "arm",
            Arch::Riscv64 => "riscv64",
            Arch::S390x => "s390x",
            Arch::Ppc64le => "ppc64le",
        }
    }

    /// The syscall name for number `number` on this architecture.
    pub fn syscall_name(self, number: u32) -> Option<&'static str> {
        let id = number as usize;
        let name = match self {
            Arch::X86_64 => syscalls::x86_64::Sysno::new(id).map(|s| s.name()),
            Arch::X86 => syscalls::x86::Sysno::new(id).map(|s| s.name()),
            Arch::Aarch64 => syscalls::aarch64::Sysno::new(id).map(|s| s.name()),
            Arch::Arm => syscalls::arm::Sysno::new(id).map(|s| s.name()),
            Arch::Riscv64 => syscalls::riscv64::Sysno::new(id).map(|s| s.name()),
            Arch::S390x => syscalls::s390x::Sysno::new(id).map(|s| s.name()),
            Arch::Ppc64le => syscalls::powerpc64::Sysno::new(id).map(|s| s.name()),
        };
        name.map(kernel_to_libseccomp_name)
    }

    /// Every syscall name of this architecture (libseccomp spelling), sorted.
    pub fn syscall_names(self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = match self {
            Arch::X86_64 => syscalls::x86_64::Sysno::iter().map(|s| s.name()).collect(),
            Arch::X86 => syscalls::x86::Sysno::iter().map(|s| s.name()).collect(),
            Arch::Aarch64 => syscalls::aarch64::Sysno::iter().map(|s| s.name()).collect(),
            Arch::Arm => syscalls::arm::Sysno::iter().map(|s| s.name()).collect(),
            Arch::Riscv64 => syscalls::riscv64::Sysno::iter().map(|s| s.name()).collect(),
            Arch::S390x => syscalls::s390x::Sysno::iter().map(|s| s.name()).collect(),
            Arch::Ppc64le => syscalls::powerpc64::Sysno::iter().map(|s| s.name()).collect(),
        };
        names
            .iter_mut()
            .for_each(|name| *name = kernel_to_libseccomp_name(name));
        names.sort_unstable();
        names.dedup();
        names
    }

    /// Whether `name` is a syscall of this architecture (libseccomp spelling).
    pub fn has_syscall(self, name: &str) -> bool {
        self.syscall_names().binary_search(&name).is_ok()
    }
}

/// The kernel tables (and so the `syscalls` crate) spell a few ARM private calls with an
/// `ARM_` prefix; libseccomp, runtimes and strace spell them without it.
fn kernel_to_libseccomp_name(name: &'static str) -> &'static str {
    match name {
        "ARM_breakpoint" => "breakpoint",
        "ARM_cacheflush" => "cacheflush",
        "ARM_usr26" => "usr26",
        "ARM_usr32" => "usr32",
        "ARM_set_tls" => "set_tls",
        other => other,
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.short_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_round_trip() {
        assert_eq!(Arch::from_name("amd64"), Some(Arch::X86_64));
        assert_eq!(Arch::from_name("SCMP_ARCH_AARCH64"), Some(Arch::Aarch64));
        assert_eq!(Arch::from_name("arm64"), Some(Arch::Aarch64));
        assert_eq!(Arch::from_audit_arch(0xc000003e), Some(Arch::X86_64));
        assert_eq!(Arch::X86_64.syscall_name(231), Some("exit_group"));
        assert_eq!(Arch::Aarch64.syscall_name(94), Some("exit_group"));
        assert_eq!(Arch::X86_64.syscall_name(59), Some("execve"));
        assert!(Arch::X86_64.has_syscall("openat"));
        assert!(!Arch::Aarch64.has_syscall("open"), "aarch64 has only openat");
    }
}
