/* SPDX-License-Identifier: MIT */
/*
 * QEMU's edu device (1234:11e8, docs/specs/edu.rst): the BAR0 register
 * offsets the VFIO and pciback VM tests drive it through.
 */
#ifndef PVKIT_TESTS_VM_EDU_H
#define PVKIT_TESTS_VM_EDU_H

#define EDU_ID 0x00
#define EDU_LIVE 0x04
#define EDU_FACT 0x08
#define EDU_STATUS 0x20
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_CNT 0x90
#define EDU_DMA_CMD 0x98
/* The device's DMA buffer, as a bus address inside the device. */
#define EDU_BUF 0x40000u
#define DMA_LEN 2048u /* edu in QEMU 7.2 mishandles 4096 at its buffer's end */

#endif
