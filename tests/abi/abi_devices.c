/* SPDX-License-Identifier: MIT */
/*
 * ABI test: console.h, usbif.h, pciif.h, ioreq.h and xenbus.h of
 * include/pvkit/proto against Xen's io/ and hvm/ headers.
 */
#include "abi_xen.h"

#include <stdio.h>
#include <string.h>

#include <xen/hvm/ioreq.h>
#include <xen/hvm/params.h>
#include <xen/io/console.h>
#include <xen/io/pciif.h>
#include <xen/io/usbif.h>
#include <xen/io/xenbus.h>

#include "pvkit/proto/console.h"
#include "pvkit/proto/ioreq.h"
#include "pvkit/proto/pciif.h"
#include "pvkit/proto/usbif.h"
#include "pvkit/proto/xenbus.h"
#include "abi_check.h"

static void test_console(void)
{
	typedef struct pv_xencons_interface O;
	typedef struct xencons_interface T;
	O o;
	T t;

	ABI_SIZE(pv_xencons_idx_t, XENCONS_RING_IDX);
	ABI_SIZE(O, T);
	ABI_FIELD(O, T, in);
	ABI_FIELD(O, T, out);
	ABI_FIELD(O, T, in_cons);
	ABI_FIELD(O, T, in_prod);
	ABI_FIELD(O, T, out_cons);
	ABI_FIELD(O, T, out_prod);
	ABI_CONST(PV_XENCONS_IN_SIZE, sizeof(t.in));
	ABI_CONST(PV_XENCONS_OUT_SIZE, sizeof(t.out));
	ABI_EQ("PV_XENCONS_MASK(5000, in) vs MASK_XENCONS_IDX", PV_XENCONS_MASK(5000u, o.in),
	       MASK_XENCONS_IDX(5000u, t.in));
	ABI_EQ("PV_XENCONS_MASK(5000, out) vs MASK_XENCONS_IDX", PV_XENCONS_MASK(5000u, o.out),
	       MASK_XENCONS_IDX(5000u, t.out));
}

static void test_usbif_structs(void)
{
	typedef struct pv_usbif_urb_request O;
	typedef struct usbif_urb_request T;

	ABI_SIZE(struct pv_usbif_request_segment, struct usbif_request_segment);
	ABI_FIELD(struct pv_usbif_request_segment, struct usbif_request_segment, gref);
	ABI_FIELD(struct pv_usbif_request_segment, struct usbif_request_segment, offset);
	ABI_FIELD(struct pv_usbif_request_segment, struct usbif_request_segment, length);
	ABI_SIZE(O, T);
	ABI_FIELD(O, T, id);
	ABI_FIELD(O, T, nr_buffer_segs);
	ABI_FIELD(O, T, pipe);
	ABI_FIELD(O, T, transfer_flags);
	ABI_FIELD(O, T, buffer_length);
	ABI_FIELD(O, T, u);
	ABI_FIELD(O, T, u.ctrl);
	ABI_FIELD(O, T, u.isoc.interval);
	ABI_FIELD(O, T, u.isoc.start_frame);
	ABI_FIELD(O, T, u.isoc.number_of_packets);
	ABI_FIELD(O, T, u.isoc.nr_frame_desc_segs);
	ABI_FIELD(O, T, u.intr.interval);
	ABI_FIELD2(O, u.intr._pad, T, u.intr.pad);
	ABI_FIELD(O, T, u.unlink.unlink_id);
	ABI_FIELD2(O, u.unlink._pad, T, u.unlink.pad);
	ABI_FIELD(O, T, seg);
	ABI_SIZE(struct pv_usbif_urb_response, struct usbif_urb_response);
	ABI_FIELD(struct pv_usbif_urb_response, struct usbif_urb_response, id);
	ABI_FIELD(struct pv_usbif_urb_response, struct usbif_urb_response, start_frame);
	ABI_FIELD(struct pv_usbif_urb_response, struct usbif_urb_response, status);
	ABI_FIELD(struct pv_usbif_urb_response, struct usbif_urb_response, actual_length);
	ABI_FIELD(struct pv_usbif_urb_response, struct usbif_urb_response, error_count);
	ABI_SIZE(struct pv_usbif_conn_request, struct usbif_conn_request);
	ABI_FIELD(struct pv_usbif_conn_request, struct usbif_conn_request, id);
	ABI_SIZE(struct pv_usbif_conn_response, struct usbif_conn_response);
	ABI_FIELD(struct pv_usbif_conn_response, struct usbif_conn_response, id);
	ABI_FIELD(struct pv_usbif_conn_response, struct usbif_conn_response, portnum);
	ABI_FIELD(struct pv_usbif_conn_response, struct usbif_conn_response, speed);
	ABI_SIZE(union pv_usbif_urb_sring_entry, union usbif_urb_sring_entry);
	ABI_SIZE(union pv_usbif_conn_sring_entry, union usbif_conn_sring_entry);
	ABI_RING(PV_USBIF_URB_RING_SIZE, usbif_urb);
	ABI_RING(PV_USBIF_CONN_RING_SIZE, usbif_conn);
	ABI_CONST(PV_USBIF_URB_RING_SIZE(1), USB_URB_RING_SIZE);
	ABI_CONST(PV_USBIF_CONN_RING_SIZE(1), USB_CONN_RING_SIZE);
}

static void test_usbif_constants(void)
{
	ABI_CONST(PV_USB_VER_UNKNOWN, USB_VER_UNKNOWN);
	ABI_CONST(PV_USB_VER_USB11, USB_VER_USB11);
	ABI_CONST(PV_USB_VER_USB20, USB_VER_USB20);
	ABI_CONST(PV_USB_VER_USB30, USB_VER_USB30);
	ABI_CONST(PV_USBIF_PIPE_PORT_MASK, USBIF_PIPE_PORT_MASK);
	ABI_CONST(PV_USBIF_PIPE_UNLINK, USBIF_PIPE_UNLINK);
	ABI_CONST(PV_USBIF_PIPE_DIR, USBIF_PIPE_DIR);
	ABI_CONST(PV_USBIF_PIPE_DEV_MASK, USBIF_PIPE_DEV_MASK);
	ABI_CONST(PV_USBIF_PIPE_DEV_SHIFT, USBIF_PIPE_DEV_SHIFT);
	ABI_CONST(PV_USBIF_PIPE_EP_MASK, USBIF_PIPE_EP_MASK);
	ABI_CONST(PV_USBIF_PIPE_EP_SHIFT, USBIF_PIPE_EP_SHIFT);
	ABI_CONST(PV_USBIF_PIPE_TYPE_MASK, USBIF_PIPE_TYPE_MASK);
	ABI_CONST(PV_USBIF_PIPE_TYPE_SHIFT, USBIF_PIPE_TYPE_SHIFT);
	ABI_CONST(PV_USBIF_PIPE_TYPE_ISOC, USBIF_PIPE_TYPE_ISOC);
	ABI_CONST(PV_USBIF_PIPE_TYPE_INT, USBIF_PIPE_TYPE_INT);
	ABI_CONST(PV_USBIF_PIPE_TYPE_CTRL, USBIF_PIPE_TYPE_CTRL);
	ABI_CONST(PV_USBIF_PIPE_TYPE_BULK, USBIF_PIPE_TYPE_BULK);
	ABI_CONST(PV_USBIF_MAX_SEGMENTS_PER_REQUEST, USBIF_MAX_SEGMENTS_PER_REQUEST);
	ABI_CONST(PV_USBIF_MAX_PORTNR, USBIF_MAX_PORTNR);
	ABI_CONST(PV_USBIF_RING_SIZE, USBIF_RING_SIZE);
	ABI_CONST(PV_USBIF_SHORT_NOT_OK, USBIF_SHORT_NOT_OK);
	ABI_CONST(PV_USBIF_STATUS_OK, USBIF_STATUS_OK);
	ABI_CONST(PV_USBIF_STATUS_NODEV, USBIF_STATUS_NODEV);
	ABI_CONST(PV_USBIF_STATUS_INVAL, USBIF_STATUS_INVAL);
	ABI_CONST(PV_USBIF_STATUS_STALL, USBIF_STATUS_STALL);
	ABI_CONST(PV_USBIF_STATUS_IOERROR, USBIF_STATUS_IOERROR);
	ABI_CONST(PV_USBIF_STATUS_BABBLE, USBIF_STATUS_BABBLE);
	ABI_CONST(PV_USBIF_STATUS_SHUTDOWN, USBIF_STATUS_SHUTDOWN);
	ABI_CONST(PV_USBIF_SPEED_NONE, USBIF_SPEED_NONE);
	ABI_CONST(PV_USBIF_SPEED_LOW, USBIF_SPEED_LOW);
	ABI_CONST(PV_USBIF_SPEED_FULL, USBIF_SPEED_FULL);
	ABI_CONST(PV_USBIF_SPEED_HIGH, USBIF_SPEED_HIGH);
}

/* The pipe accessors decode the same bits as Xen's usbif_pipe*() macros. */
static void test_usbif_pipe(void)
{
	static const uint32_t pipes[] = {0, 0xffffffffu, 0xc0078aa5u, 0x4003f0b1u, 0x80000120u};
	char what[160];

	for (unsigned int i = 0; i < sizeof(pipes) / sizeof(pipes[0]); i++) {
		uint32_t p = pipes[i];

#define PIPE(ours, xens)                                                                           \
	do {                                                                                       \
		snprintf(what, sizeof(what), #ours "(0x%08x) vs " #xens, p);                       \
		ABI_EQ(what, ours(p), xens(p));                                                    \
	} while (0)
		PIPE(PV_USBIF_PIPE_PORT, usbif_pipeportnum);
		PIPE(PV_USBIF_PIPE_IS_UNLINK, !!usbif_pipeunlink);
		PIPE(PV_USBIF_PIPE_IS_IN, !!usbif_pipein);
		PIPE(PV_USBIF_PIPE_DEV, usbif_pipedevice);
		PIPE(PV_USBIF_PIPE_EP, usbif_pipeendpoint);
		PIPE(PV_USBIF_PIPE_TYPE, usbif_pipetype);
#undef PIPE
	}
}

static void test_pciif(void)
{
	typedef struct pv_pci_op O;
	typedef struct xen_pci_op T;

	ABI_SIZE(struct pv_msix_entry, struct xen_msix_entry);
	ABI_FIELD(struct pv_msix_entry, struct xen_msix_entry, vector);
	ABI_FIELD(struct pv_msix_entry, struct xen_msix_entry, entry);
	ABI_SIZE(O, T);
	ABI_FIELD(O, T, cmd);
	ABI_FIELD(O, T, err);
	ABI_FIELD(O, T, domain);
	ABI_FIELD(O, T, bus);
	ABI_FIELD(O, T, devfn);
	ABI_FIELD(O, T, offset);
	ABI_FIELD(O, T, size);
	ABI_FIELD(O, T, value);
	ABI_FIELD(O, T, info);
	ABI_FIELD(O, T, msix_entries);
	ABI_SIZE(struct pv_pcie_aer_op, struct xen_pcie_aer_op);
	ABI_FIELD(struct pv_pcie_aer_op, struct xen_pcie_aer_op, cmd);
	ABI_FIELD(struct pv_pcie_aer_op, struct xen_pcie_aer_op, err);
	ABI_FIELD(struct pv_pcie_aer_op, struct xen_pcie_aer_op, domain);
	ABI_FIELD(struct pv_pcie_aer_op, struct xen_pcie_aer_op, bus);
	ABI_FIELD(struct pv_pcie_aer_op, struct xen_pcie_aer_op, devfn);
	ABI_SIZE(struct pv_pci_sharedinfo, struct xen_pci_sharedinfo);
	ABI_FIELD(struct pv_pci_sharedinfo, struct xen_pci_sharedinfo, flags);
	ABI_FIELD(struct pv_pci_sharedinfo, struct xen_pci_sharedinfo, op);
	ABI_FIELD(struct pv_pci_sharedinfo, struct xen_pci_sharedinfo, aer_op);
}

static void test_pciif_constants(void)
{
	ABI_STR(PV_PCI_MAGIC, XEN_PCI_MAGIC);
	ABI_CONST(PV_PCIF_ACTIVE_BIT, _XEN_PCIF_active);
	ABI_CONST(PV_PCIF_ACTIVE, XEN_PCIF_active);
	ABI_CONST(PV_PCIB_AERHANDLER_BIT, _XEN_PCIB_AERHANDLER);
	ABI_CONST(PV_PCIB_AERHANDLER, XEN_PCIB_AERHANDLER);
	ABI_CONST(PV_PCIB_ACTIVE_BIT, _XEN_PCIB_active);
	ABI_CONST(PV_PCIB_ACTIVE, XEN_PCIB_active);
	ABI_CONST(PV_PCI_OP_CONF_READ, XEN_PCI_OP_conf_read);
	ABI_CONST(PV_PCI_OP_CONF_WRITE, XEN_PCI_OP_conf_write);
	ABI_CONST(PV_PCI_OP_ENABLE_MSI, XEN_PCI_OP_enable_msi);
	ABI_CONST(PV_PCI_OP_DISABLE_MSI, XEN_PCI_OP_disable_msi);
	ABI_CONST(PV_PCI_OP_ENABLE_MSIX, XEN_PCI_OP_enable_msix);
	ABI_CONST(PV_PCI_OP_DISABLE_MSIX, XEN_PCI_OP_disable_msix);
	ABI_CONST(PV_PCI_OP_AER_DETECTED, XEN_PCI_OP_aer_detected);
	ABI_CONST(PV_PCI_OP_AER_RESUME, XEN_PCI_OP_aer_resume);
	ABI_CONST(PV_PCI_OP_AER_MMIO, XEN_PCI_OP_aer_mmio);
	ABI_CONST(PV_PCI_OP_AER_SLOTRESET, XEN_PCI_OP_aer_slotreset);
	ABI_CONST(PV_PCI_OP_ENABLE_MULTI_MSI, XEN_PCI_OP_enable_multi_msi);
	ABI_CONST(PV_PCI_ERR_SUCCESS, XEN_PCI_ERR_success);
	ABI_CONST(PV_PCI_ERR_DEV_NOT_FOUND, XEN_PCI_ERR_dev_not_found);
	ABI_CONST(PV_PCI_ERR_INVALID_OFFSET, XEN_PCI_ERR_invalid_offset);
	ABI_CONST(PV_PCI_ERR_ACCESS_DENIED, XEN_PCI_ERR_access_denied);
	ABI_CONST(PV_PCI_ERR_NOT_IMPLEMENTED, XEN_PCI_ERR_not_implemented);
	ABI_CONST(PV_PCI_ERR_OP_FAILED, XEN_PCI_ERR_op_failed);
	ABI_CONST(PV_PCI_SH_INFO_MAX_VEC, SH_INFO_MAX_VEC);
}

static void test_ioreq_structs(void)
{
	typedef struct pv_ioreq O;
	typedef struct ioreq T;

	ABI_SIZE(O, T);
	ABI_FIELD(O, T, addr);
	ABI_FIELD(O, T, data);
	ABI_FIELD(O, T, count);
	ABI_FIELD(O, T, size);
	ABI_FIELD(O, T, vp_eport);
	ABI_FIELD(O, T, _pad0);
	ABI_FIELD(O, T, type);
	/* Xen's page is declared with one slot; slot N is at N * sizeof(ioreq). */
	ABI_FIELD(struct pv_shared_iopage, struct shared_iopage, vcpu_ioreq[0]);
	ABI_EQ("offsetof(struct pv_shared_iopage, vcpu_ioreq[5]) vs 5 * sizeof(struct ioreq)",
	       offsetof(struct pv_shared_iopage, vcpu_ioreq[5]), 5 * sizeof(struct ioreq));
	ABI_SIZE(struct pv_buf_ioreq, struct buf_ioreq);
	ABI_FIELD(struct pv_buf_ioreq, struct buf_ioreq, data);
	ABI_SIZE(struct pv_buffered_iopage, struct buffered_iopage);
	ABI_FIELD(struct pv_buffered_iopage, struct buffered_iopage, read_pointer);
	ABI_FIELD(struct pv_buffered_iopage, struct buffered_iopage, write_pointer);
	ABI_FIELD(struct pv_buffered_iopage, struct buffered_iopage, buf_ioreq);
}

/* Xen's bit fields, set one at a time, land in our flag byte's masks. */
static void test_ioreq_bits(void)
{
	struct ioreq x;
	struct pv_ioreq o;

	memset(&x, 0, sizeof(x));
	x.state = 0xf;
	memcpy(&o, &x, sizeof(o));
	ABI_EQ("ioreq.state bits vs PV_IOREQ_STATE_MASK", o.flags, PV_IOREQ_STATE_MASK);
	x.state = PV_STATE_IORESP_READY;
	memcpy(&o, &x, sizeof(o));
	ABI_EQ("pv_ioreq_state() vs ioreq.state", pv_ioreq_state(&o), x.state);
	memset(&x, 0, sizeof(x));
	x.data_is_ptr = 1;
	memcpy(&o, &x, sizeof(o));
	ABI_EQ("ioreq.data_is_ptr bit vs PV_IOREQ_DATA_IS_PTR", o.flags, PV_IOREQ_DATA_IS_PTR);
	memset(&x, 0, sizeof(x));
	x.dir = IOREQ_READ;
	memcpy(&o, &x, sizeof(o));
	ABI_EQ("ioreq.dir bit vs PV_IOREQ_DIR", o.flags, PV_IOREQ_DIR);
	ABI_EQ("pv_ioreq_dir() vs ioreq.dir", pv_ioreq_dir(&o), x.dir);
	memset(&x, 0, sizeof(x));
	x.df = 1;
	memcpy(&o, &x, sizeof(o));
	ABI_EQ("ioreq.df bit vs PV_IOREQ_DF", o.flags, PV_IOREQ_DF);
}

static void test_buf_ioreq_bits(void)
{
	struct buf_ioreq x;
	struct pv_buf_ioreq o;

	memset(&x, 0, sizeof(x));
	x.type = 0xff;
	memcpy(&o, &x, sizeof(o));
	ABI_EQ("buf_ioreq.type bits vs PV_BUF_IOREQ_TYPE_MASK", o.word, PV_BUF_IOREQ_TYPE_MASK);
	memset(&x, 0, sizeof(x));
	x.dir = 1;
	memcpy(&o, &x, sizeof(o));
	ABI_EQ("buf_ioreq.dir bit vs PV_BUF_IOREQ_DIR", o.word, PV_BUF_IOREQ_DIR);
	memset(&x, 0, sizeof(x));
	x.size = 3;
	memcpy(&o, &x, sizeof(o));
	ABI_EQ("buf_ioreq.size bits vs PV_BUF_IOREQ_SIZE_*", o.word,
	       PV_BUF_IOREQ_SIZE_MASK << PV_BUF_IOREQ_SIZE_SHIFT);
	memset(&x, 0, sizeof(x));
	x.addr = 0xfffff;
	memcpy(&o, &x, sizeof(o));
	ABI_EQ("buf_ioreq.addr bits vs PV_BUF_IOREQ_ADDR_*", o.word,
	       PV_BUF_IOREQ_ADDR_MASK << PV_BUF_IOREQ_ADDR_SHIFT);
}

static void test_ioreq_constants(void)
{
	ABI_CONST(PV_IOREQ_READ, IOREQ_READ);
	ABI_CONST(PV_IOREQ_WRITE, IOREQ_WRITE);
	ABI_CONST(PV_STATE_IOREQ_NONE, STATE_IOREQ_NONE);
	ABI_CONST(PV_STATE_IOREQ_READY, STATE_IOREQ_READY);
	ABI_CONST(PV_STATE_IOREQ_INPROCESS, STATE_IOREQ_INPROCESS);
	ABI_CONST(PV_STATE_IORESP_READY, STATE_IORESP_READY);
	ABI_CONST(PV_IOREQ_TYPE_PIO, IOREQ_TYPE_PIO);
	ABI_CONST(PV_IOREQ_TYPE_COPY, IOREQ_TYPE_COPY);
	ABI_CONST(PV_IOREQ_TYPE_PCI_CONFIG, IOREQ_TYPE_PCI_CONFIG);
	ABI_CONST(PV_IOREQ_TYPE_TIMEOFFSET, IOREQ_TYPE_TIMEOFFSET);
	ABI_CONST(PV_IOREQ_TYPE_INVALIDATE, IOREQ_TYPE_INVALIDATE);
	ABI_CONST(PV_IOREQ_BUFFER_SLOT_NUM, IOREQ_BUFFER_SLOT_NUM);
	ABI_CONST(PV_HVM_PARAM_IOREQ_PFN, HVM_PARAM_IOREQ_PFN);
	ABI_CONST(PV_HVM_PARAM_BUFIOREQ_PFN, HVM_PARAM_BUFIOREQ_PFN);
	ABI_CONST(PV_HVM_PARAM_BUFIOREQ_EVTCHN, HVM_PARAM_BUFIOREQ_EVTCHN);
	ABI_CONST(PV_ACPI_PM1A_EVT_BLK_ADDRESS_V0, ACPI_PM1A_EVT_BLK_ADDRESS_V0);
	ABI_CONST(PV_ACPI_PM1A_CNT_BLK_ADDRESS_V0, ACPI_PM1A_CNT_BLK_ADDRESS_V0);
	ABI_CONST(PV_ACPI_PM_TMR_BLK_ADDRESS_V0, ACPI_PM_TMR_BLK_ADDRESS_V0);
	ABI_CONST(PV_ACPI_GPE0_BLK_ADDRESS_V0, ACPI_GPE0_BLK_ADDRESS_V0);
	ABI_CONST(PV_ACPI_GPE0_BLK_LEN_V0, ACPI_GPE0_BLK_LEN_V0);
	ABI_CONST(PV_ACPI_PM1A_EVT_BLK_ADDRESS_V1, ACPI_PM1A_EVT_BLK_ADDRESS_V1);
	ABI_CONST(PV_ACPI_PM1A_CNT_BLK_ADDRESS_V1, ACPI_PM1A_CNT_BLK_ADDRESS_V1);
	ABI_CONST(PV_ACPI_PM_TMR_BLK_ADDRESS_V1, ACPI_PM_TMR_BLK_ADDRESS_V1);
	ABI_CONST(PV_ACPI_GPE0_BLK_ADDRESS_V1, ACPI_GPE0_BLK_ADDRESS_V1);
	ABI_CONST(PV_ACPI_GPE0_BLK_LEN_V1, ACPI_GPE0_BLK_LEN_V1);
}

/* Each state's value, and its name: Xen's enumerator minus "XenbusState". */
static void test_xenbus(void)
{
	size_t skip = strlen("XenbusState");

#define STATE(ours, xens)                                                                          \
	do {                                                                                       \
		ABI_CONST(ours, xens);                                                             \
		ABI_STR(pv_xenbus_state_name(ours), #xens + skip);                                 \
	} while (0)
	STATE(PV_XENBUS_STATE_UNKNOWN, XenbusStateUnknown);
	STATE(PV_XENBUS_STATE_INITIALISING, XenbusStateInitialising);
	STATE(PV_XENBUS_STATE_INIT_WAIT, XenbusStateInitWait);
	STATE(PV_XENBUS_STATE_INITIALISED, XenbusStateInitialised);
	STATE(PV_XENBUS_STATE_CONNECTED, XenbusStateConnected);
	STATE(PV_XENBUS_STATE_CLOSING, XenbusStateClosing);
	STATE(PV_XENBUS_STATE_CLOSED, XenbusStateClosed);
	STATE(PV_XENBUS_STATE_RECONFIGURING, XenbusStateReconfiguring);
	STATE(PV_XENBUS_STATE_RECONFIGURED, XenbusStateReconfigured);
#undef STATE
	ABI_CONST(PV_XENBUS_STATE_COUNT, XenbusStateReconfigured + 1);
	ABI_STR(pv_xenbus_state_name(PV_XENBUS_STATE_COUNT), "Invalid");
	ABI_STR(pv_xenbus_state_name(-1), "Invalid");
	ABI_SIZE(enum pv_xenbus_state, XenbusState);
}

CU_TestInfo abi_devices_tests[] = {
    {"console page", test_console},
    {"usbif structs and rings", test_usbif_structs},
    {"usbif constants", test_usbif_constants},
    {"usbif pipe fields", test_usbif_pipe},
    {"pciif structs", test_pciif},
    {"pciif constants", test_pciif_constants},
    {"ioreq structs", test_ioreq_structs},
    {"ioreq bit fields", test_ioreq_bits},
    {"buffered ioreq bit fields", test_buf_ioreq_bits},
    {"ioreq constants", test_ioreq_constants},
    {"xenbus states and names", test_xenbus},
    CU_TEST_INFO_NULL,
};
