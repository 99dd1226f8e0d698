/* SPDX-License-Identifier: BSD-3-Clause */
#include "anomaly.h"

#include <stddef.h>
#include <string.h>

struct wc_anomaly_info {
	const char *name;
	const char *layer;
	enum wc_severity severity;
	const char *description;
};

static const struct wc_anomaly_info anomaly_info[WC_ANOM_COUNT] = {
#define WC_X(e, n, l, sev, d) [WC_ANOM_##e] = {n, l, WC_SEV_##sev, d},
	WC_ANOMALY_LIST(WC_X)
#undef WC_X
};

static const char *const malformed_names[WC_MAL_COUNT] = {
	[WC_MAL_NONE] = "none",
#define WC_X(e, n, d) [WC_MAL_##e] = n,
	WC_MALFORMED_LIST(WC_X)
#undef WC_X
};

static const char *const layer_names[WC_LAYER_COUNT] = {
#define WC_X(e, n) [WC_LAYER_##e] = n,
	WC_CSUM_LAYER_LIST(WC_X)
#undef WC_X
};

static const char *const verdict_names[WC_VERDICT_COUNT] = {
#define WC_X(e, n) [WC_VERDICT_##e] = n,
	WC_VERDICT_LIST(WC_X)
#undef WC_X
};

const char *wc_anomaly_name(enum wc_anomaly a)
{
	return (unsigned)a < WC_ANOM_COUNT ? anomaly_info[a].name : "unknown";
}

const char *wc_anomaly_layer(enum wc_anomaly a)
{
	return (unsigned)a < WC_ANOM_COUNT ? anomaly_info[a].layer : "unknown";
}

const char *wc_anomaly_description(enum wc_anomaly a)
{
	return (unsigned)a < WC_ANOM_COUNT ? anomaly_info[a].description : "";
}

enum wc_severity wc_anomaly_severity(enum wc_anomaly a)
{
	return (unsigned)a < WC_ANOM_COUNT ? anomaly_info[a].severity : WC_SEV_INFO;
}

const char *wc_severity_name(enum wc_severity s)
{
	switch (s) {
	case WC_SEV_INFO:
		return "info";
	case WC_SEV_WARNING:
		return "warning";
	case WC_SEV_CRITICAL:
		return "critical";
	}
	return "unknown";
}

int wc_anomaly_from_name(const char *name)
{
	for (int i = 0; i < WC_ANOM_COUNT; i++)
		if (strcmp(anomaly_info[i].name, name) == 0)
			return i;
	return -1;
}

const char *wc_malformed_name(enum wc_malformed m)
{
	return (unsigned)m < WC_MAL_COUNT ? malformed_names[m] : "unknown";
}

const char *wc_csum_layer_name(enum wc_csum_layer l)
{
	return (unsigned)l < WC_LAYER_COUNT ? layer_names[l] : "unknown";
}

const char *wc_verdict_name(enum wc_verdict v)
{
	return (unsigned)v < WC_VERDICT_COUNT ? verdict_names[v] : "unknown";
}
