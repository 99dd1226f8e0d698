/* SPDX-License-Identifier: BSD-3-Clause */
#include "eve.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "json.h"

void eve_timestamp(uint64_t ts_ns, char *buf, size_t len)
{
	time_t s = (time_t)(ts_ns / 1000000000ull);
	struct tm tm;
	gmtime_r(&s, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%06lluZ",
		 (unsigned long long)((ts_ns % 1000000000ull) / 1000));
}

const char *eve_proto_name(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case 6:
		return "TCP";
	case 17:
		return "UDP";
	case 1:
		return "ICMP";
	case 58:
		return "IPv6-ICMP";
	case 47:
		return "GRE";
	default:
		snprintf(buf, len, "%u", proto);
		return buf;
	}
}

static const char *tunnel_name(uint8_t t)
{
	switch (t) {
	case WC_TUN_VXLAN:
		return "vxlan";
	case WC_TUN_GENEVE:
		return "geneve";
	case WC_TUN_GRE:
		return "gre";
	case WC_TUN_ERSPAN2:
		return "erspan2";
	case WC_TUN_ERSPAN3:
		return "erspan3";
	case WC_TUN_IPIP:
		return "ipip";
	default:
		return "none";
	}
}

static void addr(struct wc_json *j, const char *key, int family, const uint8_t *ip)
{
	char buf[INET6_ADDRSTRLEN];
	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, ip, buf, sizeof(buf)))
		buf[0] = 0;
	json_str(j, key, buf);
}

static void hex16(struct wc_json *j, const char *key, uint16_t v)
{
	char buf[8];
	snprintf(buf, sizeof(buf), "0x%04x", v);
	json_str(j, key, buf);
}

#define NO_SEQ UINT64_MAX

static void event_header(struct wc_json *j, const struct wc_event *e,
			 const char *type, uint64_t seq)
{
	char ts[64], pbuf[8];
	eve_timestamp(e->ts_ns, ts, sizeof(ts));
	json_str(j, "timestamp", ts);
	if (e->flow_id)
		json_u64(j, "flow_id", e->flow_id);
	if (e->pcap_cnt)
		json_u64(j, "pcap_cnt", e->pcap_cnt);
	json_str(j, "event_type", type);
	if (seq != NO_SEQ) {
		json_u64(j, "worker", e->worker);
		json_u64(j, "event_seq", seq);
	}
	if (e->family == 4 || e->family == 6) {
		addr(j, "src_ip", e->family, e->src_ip);
		if (e->proto == 6 || e->proto == 17)
			json_u64(j, "src_port", e->sport);
		addr(j, "dest_ip", e->family, e->dst_ip);
		if (e->proto == 6 || e->proto == 17)
			json_u64(j, "dest_port", e->dport);
		json_str(j, "proto", eve_proto_name(e->proto, pbuf, sizeof(pbuf)));
	}
	if (e->nvlan) {
		json_arr(j, "vlan");
		for (unsigned i = 0; i < e->nvlan && i < 2; i++)
			json_u64(j, NULL, e->vlan[i]);
		json_arr_end(j);
	}
	if (e->tunnel_type) {
		json_obj(j, "tunnel");
		json_str(j, "type", tunnel_name(e->tunnel_type));
		json_u64(j, "id", e->tunnel_id);
		json_obj_end(j);
	}
}

static void write_anomaly(FILE *f, const struct wc_event *e, const struct eve_evidence *ev,
			  uint64_t seq)
{
	struct wc_json j;
	const struct wc_anomaly_detail *d = &e->u.anomaly;
	enum wc_anomaly t = (enum wc_anomaly)d->type;

	json_begin(&j, f);
	event_header(&j, e, "anomaly", seq);
	json_obj(&j, "anomaly");
	json_str(&j, "type", wc_anomaly_name(t));
	json_str(&j, "layer", t == WC_ANOM_CHECKSUM_PARTIAL
				      ? wc_csum_layer_name(d->csum_layer)
				      : wc_anomaly_layer(t));
	json_str(&j, "severity", wc_severity_name(wc_anomaly_severity(t)));
	switch (t) {
	case WC_ANOM_IPV4_CHECKSUM_BAD:
	case WC_ANOM_TCP_CHECKSUM_BAD:
	case WC_ANOM_UDP_CHECKSUM_BAD:
	case WC_ANOM_ICMP_CHECKSUM_BAD:
	case WC_ANOM_ICMPV6_CHECKSUM_BAD:
	case WC_ANOM_CHECKSUM_PARTIAL:
		hex16(&j, "checksum", d->csum_found);
		hex16(&j, "expected", d->csum_expected);
		break;
	case WC_ANOM_TSO_SUPERFRAME:
		json_u64(&j, "ip_len", d->ip_len);
		json_u64(&j, "mtu", d->mtu);
		json_u64(&j, "frame_len", e->wirelen);
		break;
	case WC_ANOM_MALFORMED:
		json_str(&j, "reason", wc_malformed_name((enum wc_malformed)d->reason));
		break;
	case WC_ANOM_OFFLOAD_CORRUPTION:
		json_u64(&j, "bad_frame", d->aux[0]);
		json_u64(&j, "seq", d->aux[1]);
		json_u64(&j, "len", d->aux[2]);
		break;
	case WC_ANOM_ACK_STALL:
		json_double(&j, "stall_ms", (double)d->value_us / 1000.0);
		break;
	case WC_ANOM_SYNACK_UNEXPECTED_SOURCE: {
		char a[INET6_ADDRSTRLEN], ep[INET6_ADDRSTRLEN + 10];
		inet_ntop(d->alt_family == 6 ? AF_INET6 : AF_INET, d->alt_ip, a, sizeof(a));
		snprintf(ep, sizeof(ep), d->alt_family == 6 ? "[%s]:%u" : "%s:%u", a, d->alt_port);
		json_str(&j, "expected_src", ep);
		inet_ntop(e->family == 6 ? AF_INET6 : AF_INET, e->src_ip, a, sizeof(a));
		snprintf(ep, sizeof(ep), e->family == 6 ? "[%s]:%u" : "%s:%u", a, e->sport);
		json_str(&j, "actual_src", ep);
		break;
	}
	case WC_ANOM_RST_AFTER_FIRST_DATA:
		json_u64(&j, "client_bytes", d->aux[0]);
		break;
	case WC_ANOM_SYN_UNANSWERED:
		json_u64(&j, "syns", d->aux[0]);
		break;
	case WC_ANOM_RTO_RETRANSMISSION:
	case WC_ANOM_FAST_RETRANSMISSION:
		json_u64(&j, "seq", d->aux[0]);
		json_u64(&j, "len", d->aux[1]);
		if (d->aux[2]) /* its bytes were already acknowledged */
			json_bool(&j, "spurious", 1);
		break;
	case WC_ANOM_MISSING_FIN:
		json_double(&j, "idle_s", (double)d->value_us / 1e6);
		break;
	default:
		break;
	}
	if (e->family == 4 || e->family == 6)
		addr(&j, "sender_ip", e->family, e->src_ip);
	if (d->sender_has_mac) {
		char mac[24];
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
			 d->sender_mac[0], d->sender_mac[1], d->sender_mac[2],
			 d->sender_mac[3], d->sender_mac[4], d->sender_mac[5]);
		json_str(&j, "sender_mac", mac);
	}
	json_obj_end(&j);
	if (ev && ev->file && (ev->frame || ev->n_context)) {
		json_obj(&j, "evidence");
		json_str(&j, "file", ev->file);
		if (ev->frame)
			json_u64(&j, "frame", ev->frame);
		if (ev->n_context) {
			json_arr(&j, "context_frames");
			for (unsigned i = 0; i < ev->n_context && i < WC_EVIDENCE_CONTEXT_MAX; i++)
				json_u64(&j, NULL, ev->context[i]);
			json_arr_end(&j);
		}
		json_obj_end(&j);
	}
	json_end(&j);
}

static void dir_counters(struct wc_json *j, const char *key, const struct wc_flow_tally *d)
{
	json_obj(j, key);
	json_u64(j, "retransmissions", d->retx);
	json_u64(j, "fast_retransmissions", d->fast_retx);
	json_u64(j, "rto_retransmissions", d->rto_retx);
	json_u64(j, "spurious_retransmissions", d->spurious_retx);
	json_u64(j, "out_of_order", d->ooo);
	json_u64(j, "dup_acks", d->dupacks);
	json_u64(j, "zero_windows", d->zero_win);
	json_u64(j, "zero_window_probes", d->zwp);
	json_u64(j, "keepalives", d->keepalive);
	json_u64(j, "window_full", d->window_full);
	json_u64(j, "syn", d->syns);
	json_u64(j, "fin", d->fins);
	json_u64(j, "rst", d->rsts);
	json_u64(j, "ecn_ect", d->ecn_ect);
	json_u64(j, "ecn_ce", d->ecn_ce);
	json_u64(j, "ece", d->ece);
	json_u64(j, "cwr", d->cwr);
	json_obj_end(j);
}

void eve_write_anomaly(FILE *f, const struct wc_event *e, uint64_t evidence_frame)
{
	struct eve_evidence ev = {.file = "evidence.pcap", .frame = evidence_frame};
	write_anomaly(f, e, &ev, NO_SEQ);
}

void eve_write_anomaly_seq(FILE *f, const struct wc_event *e, const struct eve_evidence *ev,
			   uint64_t seq)
{
	write_anomaly(f, e, ev, seq);
}

/* reason: NULL for the flow's own end reason */
static void write_flow(FILE *out, const struct wc_event *e, uint64_t seq, const char *reason)
{
	const struct wc_flow *f = &e->u.flow;
	/* the record comes from shared memory: never index past dir[1] */
	const struct wc_flow_dir *cs = &f->dir[f->client & 1], *sc = &f->dir[!(f->client & 1)];
	const struct wc_flow_tally *ct = &f->tally[f->client & 1], *st = &f->tally[!(f->client & 1)];
	struct wc_json j;
	char ts[64];

	json_begin(&j, out);
	event_header(&j, e, "flow", seq);
	json_obj(&j, "flow");
	eve_timestamp(f->first_ns, ts, sizeof(ts));
	json_str(&j, "start", ts);
	eve_timestamp(f->last_ns, ts, sizeof(ts));
	json_str(&j, "end", ts);
	json_u64(&j, "age_us", (f->last_ns - f->first_ns) / 1000);
	json_str(&j, "reason", reason ? reason : wc_flow_end_name(f->end));
	json_u64(&j, "pkts_toserver", cs->pkts);
	json_u64(&j, "pkts_toclient", sc->pkts);
	json_u64(&j, "bytes_toserver", cs->bytes);
	json_u64(&j, "bytes_toclient", sc->bytes);
	json_str(&j, "client_by", (f->flags & WC_FLOW_CLIENT_BY_SYN)	   ? "syn"
				  : (f->flags & WC_FLOW_CLIENT_BY_SYNACK) ? "synack"
									   : "ports");
	json_bool(&j, "evicted", !!(f->flags & WC_FLOW_EVICTED));
	json_obj_end(&j);

	if (f->key.proto == 6) {
		json_obj(&j, "tcp");
		json_str(&j, "state", wc_tcp_state_name(f->state));
		json_bool(&j, "midstream", !!(f->flags & WC_FLOW_MIDSTREAM));
		if (f->syn_to_synack_us == UINT32_MAX)
			json_raw(&j, "syn_to_synack_us", "null");
		else
			json_u64(&j, "syn_to_synack_us", f->syn_to_synack_us);
		if (f->synack_to_ack_us == UINT32_MAX)
			json_raw(&j, "synack_to_ack_us", "null");
		else
			json_u64(&j, "synack_to_ack_us", f->synack_to_ack_us);
	} else if (f->key.proto == 1 || f->key.proto == 58) {
		json_obj(&j, "icmp");
	}
	if (f->key.proto == 6 || f->key.proto == 1 || f->key.proto == 58) {
		if (f->rtt_samples) {
			json_u64(&j, "rtt_min_us", f->rtt_min_us);
			json_u64(&j, "rtt_avg_us", f->rtt_sum_us / f->rtt_samples);
			json_u64(&j, "rtt_max_us", f->rtt_max_us);
		} else {
			json_raw(&j, "rtt_min_us", "null");
			json_raw(&j, "rtt_avg_us", "null");
			json_raw(&j, "rtt_max_us", "null");
		}
		json_u64(&j, "rtt_samples", f->rtt_samples);
	}
	if (f->key.proto == 6) {
		json_u64(&j, "retransmissions", ct->retx + st->retx);
		json_u64(&j, "fast_retransmissions", ct->fast_retx + st->fast_retx);
		json_u64(&j, "rto_retransmissions", ct->rto_retx + st->rto_retx);
		json_u64(&j, "spurious_retransmissions", ct->spurious_retx + st->spurious_retx);
		json_u64(&j, "out_of_order", ct->ooo + st->ooo);
		json_u64(&j, "dup_acks", ct->dupacks + st->dupacks);
		json_u64(&j, "zero_windows", ct->zero_win + st->zero_win);
		json_u64(&j, "zero_window_probes", ct->zwp + st->zwp);
		json_u64(&j, "keepalives", ct->keepalive + st->keepalive);
		json_u64(&j, "window_full", ct->window_full + st->window_full);
		json_u64(&j, "rsts", ct->rsts + st->rsts);
		/* what the handshake negotiated: ECN marks and echoes counted
		 * per direction below */
		json_str(&j, "ecn", (f->flags & WC_FLOW_ACCECN)        ? "accecn"
				    : (f->flags & WC_FLOW_ECN_CLASSIC) ? "rfc3168"
				    : (f->flags & WC_FLOW_ECN_SETUP)   ? "refused"
								       : "none");
		json_u64(&j, "ack_stalls", f->ack_stalls);
		json_double(&j, "max_ack_stall_ms", (double)f->max_ack_stall_us / 1000.0);
		if (f->ttfb_us == UINT32_MAX)
			json_raw(&j, "ttfb_us", "null");
		else
			json_u64(&j, "ttfb_us", f->ttfb_us);
		json_obj(&j, "state_durations_us");
		for (unsigned s = 0; s < WC_TCP_STATE_COUNT; s++)
			if (f->state_us[s])
				json_u64(&j, wc_tcp_state_name(s), f->state_us[s]);
		json_obj_end(&j);
		dir_counters(&j, "toserver", ct);
		dir_counters(&j, "toclient", st);
	}
	if (f->key.proto == 6 || f->key.proto == 1 || f->key.proto == 58)
		json_obj_end(&j);
	json_obj(&j, "checksum");
	json_u64(&j, "bad", ct->csum_bad + st->csum_bad);
	json_u64(&j, "partial", ct->csum_partial + st->csum_partial);
	json_u64(&j, "bad_toserver", ct->csum_bad);
	json_u64(&j, "bad_toclient", st->csum_bad);
	json_obj_end(&j);
	json_end(&j);
}

void eve_write_flow(FILE *out, const struct wc_event *e)
{
	write_flow(out, e, NO_SEQ, NULL);
}

void eve_write_flow_seq(FILE *out, const struct wc_event *e, uint64_t seq)
{
	write_flow(out, e, seq, NULL);
}

void eve_write_flow_entry(FILE *out, const struct wc_flow *f, uint32_t worker)
{
	/* the event a flow of this entry would end with */
	struct wc_event e;
	uint8_t c = f->client & 1;
	memset(&e, 0, offsetof(struct wc_event, u));
	e.kind = WC_EVENT_FLOW;
	e.family = f->key.family;
	e.proto = f->key.proto;
	memcpy(e.src_ip, f->key.addr[c], 16);
	memcpy(e.dst_ip, f->key.addr[!c], 16);
	e.sport = f->key.port[c];
	e.dport = f->key.port[!c];
	e.nvlan = (uint8_t)(f->key.vlan[0] ? (f->key.vlan[1] ? 2 : 1) : 0);
	memcpy(e.vlan, f->key.vlan, sizeof(e.vlan));
	e.tunnel_type = f->key.tunnel_type;
	e.tunnel_id = f->key.tunnel_id;
	e.flow_id = f->id;
	e.worker = worker;
	e.ts_ns = f->last_ns;
	e.u.flow = *f;
	e.u.flow.client = c;
	/* a live entry has not ended: its reason says so */
	write_flow(out, &e, NO_SEQ, f->end ? NULL : "active");
}

void eve_losses(struct wc_json *j, const struct wc_counters *c)
{
	json_obj(j, "drops");
	json_u64(j, "capture", c->drops_capture);
	json_u64(j, "event_ring", c->drops_event_ring);
	json_u64(j, "evidence_context", c->drops_evidence);
	json_obj_end(j);
	/* what fixed tables could not hold (kept counts, never silent) */
	json_obj(j, "tracking");
	json_u64(j, "senders_untracked", c->senders_untracked);
	json_u64(j, "bad_segs_untracked", c->bad_segs_untracked);
	json_u64(j, "vip_answers_lost", c->vip_answers_lost);
	json_u64(j, "synack_syn_unseen", c->synack_syn_unseen);
	json_obj_end(j);
}

static void stats_body(struct wc_json *j, const struct wc_counters *c)
{
	json_u64(j, "packets", c->packets);
	json_u64(j, "bytes", c->bytes);
	json_obj(j, "checksum");
	for (int l = 0; l < WC_LAYER_COUNT; l++) {
		json_obj(j, wc_csum_layer_name(l));
		for (int v = 0; v < WC_VERDICT_COUNT; v++)
			json_u64(j, wc_verdict_name(v), c->csum[l][v]);
		json_obj_end(j);
	}
	json_obj_end(j);
	json_obj(j, "anomalies");
	for (int a = 0; a < WC_ANOM_COUNT; a++)
		json_u64(j, wc_anomaly_name(a), c->anomalies[a]);
	json_obj_end(j);
	json_obj(j, "malformed");
	uint64_t total = 0;
	for (int m = 1; m < WC_MAL_COUNT; m++)
		total += c->malformed[m];
	json_u64(j, "total", total);
	for (int m = 1; m < WC_MAL_COUNT; m++)
		if (c->malformed[m])
			json_u64(j, wc_malformed_name(m), c->malformed[m]);
	json_obj_end(j);
	json_obj(j, "flows");
	json_u64(j, "created", c->flows_created);
	json_u64(j, "active", c->flows_active);
	json_u64(j, "evicted", c->flows_evicted);
	json_u64(j, "ended", c->flows_ended);
	json_u64(j, "one_sided", c->flows_one_sided);
	json_obj_end(j);
	eve_losses(j, c);
	json_obj(j, "capture");
	json_u64(j, "received", c->capture_received);
	json_u64(j, "fill_ring_empty", c->capture_fill_empty);
	json_u64(j, "xdp_seen", c->xdp_seen);
	json_u64(j, "xdp_redirected", c->xdp_redirected);
	json_u64(j, "xdp_passed", c->xdp_passed);
	json_u64(j, "xdp_no_socket", c->xdp_no_socket);
	json_obj_end(j);
	json_obj(j, "events");
	json_u64(j, "written", c->events_written);
	json_u64(j, "rate_limited", c->anomaly_events_suppressed);
	json_u64(j, "evidence_packets", c->evidence_packets);
	json_obj_end(j);
}

void eve_write_stats(FILE *f, struct wc_shm_header *h, const char *reason)
{
	struct wc_counters c;
	struct wc_json j;
	char ts[64];

	wc_shm_sum_counters(h, &c);
	eve_timestamp(c.last_ts_ns ? c.last_ts_ns : wc_now_ns(), ts, sizeof(ts));
	json_begin(&j, f);
	json_str(&j, "timestamp", ts);
	json_str(&j, "event_type", "stats");
	/* bounded: the header is shared memory, its strings may lack a NUL */
	json_strn(&j, "instance", h->instance, strnlen(h->instance, sizeof(h->instance)));
	json_strn(&j, "source", h->source, strnlen(h->source, sizeof(h->source)));
	json_u64(&j, "workers", h->n_workers);
	json_strn(&j, "clock", h->clock, strnlen(h->clock, sizeof(h->clock)));
	json_str(&j, "end", reason);
	/* The keys SPEC §5 lists sit at the top level of the event; the same
	 * object is repeated under "stats" as Suricata's EVE stats records
	 * nest it, so EVE tooling reads it unchanged. */
	stats_body(&j, &c);
	json_obj(&j, "stats");
	stats_body(&j, &c);
	json_obj_end(&j);
	json_end(&j);
}
