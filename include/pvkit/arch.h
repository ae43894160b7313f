/* SPDX-License-Identifier: MIT */
/*
 * The one place for architecture-specific facts. Everything else in pvkit
 * is portable C11: barriers are C11 atomics, layouts come from the wire
 * ABI headers, which fix every size explicitly.
 */
#ifndef PVKIT_ARCH_H
#define PVKIT_ARCH_H

/*
 * Xen's page (the unit of a grant and of a ring) is 4096 bytes on every
 * architecture Xen supports, whatever the host's own page size.
 */
#define PV_PAGE_SHIFT 12
#define PV_PAGE_SIZE  (1u << PV_PAGE_SHIFT)

/* Destructive-interference size used to pad producer/consumer fields. */
#if defined(__aarch64__) || defined(__powerpc64__)
#define PV_CACHELINE 128
#else
#define PV_CACHELINE 64
#endif

/* A polite spin-wait hint. */
static inline void pv_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

#endif
