/* SPDX-License-Identifier: MIT */
/*
 * Event storms (pvkit/evstorm.h): counting the notifications that find no
 * work, and the doubling back-off that holds a storming peer's ports masked.
 */
#include "pvkit/evstorm.h"

unsigned int pv_evstorm_take(struct pv_evstorm *s, struct pv_evtchn *e)
{
	unsigned int n = 0, i;
	int port;

	while ((port = pv_evtchn_pending(e)) >= 0) {
		n++;
		for (i = 0; i < s->nheld && s->held[i] != (pv_evtchn_port_t)port; i++)
			;
		if (i < s->nheld)
			continue;
		if (s->nheld < PV_EVSTORM_PORTS)
			s->held[s->nheld++] = (pv_evtchn_port_t)port;
		else /* not one of ours: never leave it masked */
			pv_evtchn_unmask(e, (pv_evtchn_port_t)port);
	}
	return n;
}

uint32_t pv_evstorm_wake(struct pv_evstorm *s, int notified, int work)
{
	if (work) {
		s->run = 0;
		s->hold_ns = 0;
	} else if (notified) {
		s->spurious++;
		s->run++;
	}
	if (!notified || s->run < PV_EVSTORM_RUN)
		return 0;
	s->hold_ns = !s->hold_ns ? PV_EVSTORM_MIN_NS
		     : s->hold_ns >= PV_EVSTORM_MAX_NS / 2 ? PV_EVSTORM_MAX_NS : s->hold_ns * 2;
	s->backoffs++;
	return s->hold_ns;
}

void pv_evstorm_release(struct pv_evstorm *s, struct pv_evtchn *e)
{
	for (unsigned int i = 0; i < s->nheld; i++)
		pv_evtchn_unmask(e, s->held[i]);
	s->nheld = 0;
}
