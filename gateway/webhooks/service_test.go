package webhooks_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/webhooks"
)

func TestSubscribe(t *testing.T) {
	ctx := context.Background()
	q := newQueue(t)
	now := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	svc := webhooks.NewService(q, webhooks.WithClock(func() time.Time { return now }))

	s, err := svc.Subscribe(ctx, webhooks.SubscriptionRequest{Org: gateway.OrgPolice, URL: "https://police.example/ucx/hook?x=1",
		Kinds: []string{gateway.ChangeExporterSuspended, gateway.ChangeExporterSuspended, gateway.ChangeCaseDecided}})
	require.NoError(t, err)
	assert.Regexp(t, `^wh_[0-9a-f]{24}$`, s.ID)
	assert.Regexp(t, `^whsec_[0-9a-f]{64}$`, s.Secret)
	assert.Equal(t, []string{gateway.ChangeExporterSuspended, gateway.ChangeCaseDecided}, s.Kinds, "duplicates dropped, order kept")
	assert.Equal(t, now, s.CreatedAt)
	stored, err := svc.Subscription(ctx, s.ID)
	require.NoError(t, err)
	assert.Equal(t, s, stored)

	other, err := svc.Subscribe(ctx, webhooks.SubscriptionRequest{Org: gateway.OrgCustoms, URL: "http://10.0.0.7:8080/hook"})
	require.NoError(t, err)
	assert.NotEqual(t, s.Secret, other.Secret)
	assert.Nil(t, other.Kinds, "no kinds: every kind")

	police, err := svc.Subscriptions(ctx, gateway.OrgPolice)
	require.NoError(t, err)
	assert.Equal(t, []gateway.WebhookSubscription{*s}, police)
	all, err := svc.Subscriptions(ctx, "")
	require.NoError(t, err)
	assert.Len(t, all, 2)
	_, err = svc.Subscriptions(ctx, "army")
	assert.Equal(t, gateway.EINVALID, gateway.ErrorCode(err))

	gone, err := svc.Unsubscribe(ctx, s.ID)
	require.NoError(t, err)
	assert.Equal(t, s.ID, gone.ID)
	_, err = svc.Unsubscribe(ctx, s.ID)
	assert.Equal(t, gateway.ENOTFOUND, gateway.ErrorCode(err))
}

func TestSubscribeRefusesBadInputAndStoresNothing(t *testing.T) {
	ctx := context.Background()
	q := newQueue(t)
	svc := webhooks.NewService(q)
	good := webhooks.SubscriptionRequest{Org: gateway.OrgCommerce, URL: "https://commerce.example/hook"}
	for name, c := range map[string]struct {
		req     func(r *webhooks.SubscriptionRequest)
		pointer string
	}{
		"no org":          {func(r *webhooks.SubscriptionRequest) { r.Org = "" }, "/org"},
		"unknown org":     {func(r *webhooks.SubscriptionRequest) { r.Org = "army" }, "/org"},
		"no url":          {func(r *webhooks.SubscriptionRequest) { r.URL = "" }, "/url"},
		"relative url":    {func(r *webhooks.SubscriptionRequest) { r.URL = "/hook" }, "/url"},
		"ftp":             {func(r *webhooks.SubscriptionRequest) { r.URL = "ftp://commerce.example/hook" }, "/url"},
		"no host":         {func(r *webhooks.SubscriptionRequest) { r.URL = "https:///hook" }, "/url"},
		"port only":       {func(r *webhooks.SubscriptionRequest) { r.URL = "https://:443/hook" }, "/url"},
		"credentials":     {func(r *webhooks.SubscriptionRequest) { r.URL = "https://user:pw@commerce.example/hook" }, "/url"},
		"fragment":        {func(r *webhooks.SubscriptionRequest) { r.URL = "https://commerce.example/hook#x" }, "/url"},
		"too long":        {func(r *webhooks.SubscriptionRequest) { r.URL = "https://commerce.example/" + strings.Repeat("a", 2048) }, "/url"},
		"unknown kind":    {func(r *webhooks.SubscriptionRequest) { r.Kinds = []string{gateway.ChangeCaseDecided, "GRADE_DROPPED"} }, "/kinds/1"},
		"lower-case kind": {func(r *webhooks.SubscriptionRequest) { r.Kinds = []string{"case_decided"} }, "/kinds/0"},
	} {
		r := good
		c.req(&r)
		_, err := svc.Subscribe(ctx, r)
		require.Error(t, err, name)
		assert.Equal(t, gateway.EINVALID, gateway.ErrorCode(err), name)
		en, zh := gateway.ErrorMessages(err)
		assert.NotEmpty(t, en, name)
		assert.NotEmpty(t, zh, name)
		if d := gateway.ErrorDetails(err); assert.Len(t, d, 1, name) {
			assert.Equal(t, c.pointer, d[0].Pointer, name)
		}
	}
	all, err := q.Subscriptions(ctx)
	require.NoError(t, err)
	assert.Empty(t, all, "refused requests store nothing")
}
