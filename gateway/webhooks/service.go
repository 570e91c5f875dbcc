package webhooks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ucx-export/ucx/gateway"
)

// Kinds are the credit change kinds a subscription can ask for.
var Kinds = []string{
	gateway.ChangeEventRecorded, gateway.ChangeObjectionFiled, gateway.ChangeRepairFiled, gateway.ChangeCaseExtended,
	gateway.ChangeCaseDecided, gateway.ChangeExporterSuspended, gateway.ChangeExporterReinstate, gateway.ChangeGradeChanged,
}

// EventID is the event ID of the change at seq: "credit-change-<seq>", the same on every
// attempt to every subscription.
func EventID(seq uint64) string { return "credit-change-" + strconv.FormatUint(seq, 10) }

// maxURL bounds a subscription URL.
const maxURL = 2048

// Service manages the subscriptions and their dead letters.
type Service struct {
	q   gateway.WebhookQueue
	now func() time.Time
}

// NewService returns the subscription service over q. Options: WithClock.
func NewService(q gateway.WebhookQueue, opts ...Option) *Service {
	c := newConfig(opts)
	return &Service{q: q, now: c.now}
}

// SubscriptionRequest asks for a subscription.
type SubscriptionRequest struct {
	Org   string   `json:"org"`
	URL   string   `json:"url"`
	Kinds []string `json:"kinds,omitempty"`
}

func invalid(pointer, en, zh string) *gateway.Error {
	return gateway.Errorf(gateway.EINVALID, "%[1]s", "%[2]s", en, zh).
		WithDetails(gateway.Detail{Pointer: pointer, Code: gateway.EINVALID, Message: en, MessageZh: zh})
}

// check validates a request and returns its kinds without duplicates.
func (r SubscriptionRequest) check() ([]string, error) {
	if gateway.MSPID(r.Org) == "" {
		return nil, invalid("/org", "org must be commerce, customs or police", "org 应为 commerce、customs 或 police")
	}
	if err := checkURL(r.URL); err != nil {
		return nil, err
	}
	var kinds []string
	seen := map[string]bool{}
	for i, k := range r.Kinds {
		known := false
		for _, w := range Kinds {
			known = known || k == w
		}
		if !known {
			return nil, invalid("/kinds/"+strconv.Itoa(i), "unknown change kind "+strconv.Quote(k)+"; kinds are "+strings.Join(Kinds, ", "),
				"未知的变更类型 "+strconv.Quote(k)+"；可选："+strings.Join(Kinds, "、"))
		}
		if !seen[k] {
			seen[k] = true
			kinds = append(kinds, k)
		}
	}
	return kinds, nil
}

// checkURL accepts an absolute http or https URL with a host, without credentials or a
// fragment (the URL is listed to anyone who lists subscriptions).
func checkURL(raw string) error {
	const en, zh = "url must be an absolute http or https URL without credentials or fragment, at most 2048 characters",
		"url 应为不含用户凭据和片段的 http 或 https 绝对地址，最长2048个字符"
	u, err := url.Parse(raw)
	if err != nil || len(raw) > maxURL || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Hostname() == "" ||
		u.User != nil || u.Fragment != "" || strings.ContainsAny(raw, " \t\r\n") {
		return invalid("/url", en, zh)
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return hex.EncodeToString(b)
}

// Subscribe creates a subscription: its ID ("wh_" + 24 hex digits) and its secret ("whsec_" +
// 64 hex digits, 256 random bits) are generated; the answer is the only time the secret is
// shown. It receives the changes after the feed cursor at creation (After). EINVALID
// (pointer /org, /url or /kinds/i) stores nothing.
func (s *Service) Subscribe(ctx context.Context, r SubscriptionRequest) (*gateway.WebhookSubscription, error) {
	kinds, err := r.check()
	if err != nil {
		return nil, err
	}
	sub := &gateway.WebhookSubscription{ID: "wh_" + randomHex(12), Org: r.Org, URL: r.URL, Kinds: kinds,
		CreatedAt: s.now().UTC().Truncate(time.Second), Secret: "whsec_" + randomHex(32)}
	if err := s.q.CreateSubscription(ctx, sub); err != nil {
		return nil, err
	}
	return sub, nil
}

// Subscriptions lists the subscriptions of an organisation ("" = every one), by ID.
// EINVALID when org is not an organisation.
func (s *Service) Subscriptions(ctx context.Context, org string) ([]gateway.WebhookSubscription, error) {
	if org != "" && gateway.MSPID(org) == "" {
		return nil, gateway.Errorf(gateway.EINVALID, "org must be commerce, customs or police", "org 应为 commerce、customs 或 police").
			WithDetails(gateway.Detail{Pointer: "org", Code: gateway.EINVALID, Message: "unknown organisation", MessageZh: "未知机构"})
	}
	all, err := s.q.Subscriptions(ctx)
	if err != nil {
		return nil, err
	}
	out := []gateway.WebhookSubscription{}
	for _, sub := range all {
		if org == "" || sub.Org == org {
			out = append(out, sub)
		}
	}
	return out, nil
}

// Subscription returns a subscription; ENOTFOUND when absent.
func (s *Service) Subscription(ctx context.Context, id string) (*gateway.WebhookSubscription, error) {
	return s.q.Subscription(ctx, id)
}

// Unsubscribe deletes a subscription with its queue and dead letters and returns it;
// ENOTFOUND when absent.
func (s *Service) Unsubscribe(ctx context.Context, id string) (*gateway.WebhookSubscription, error) {
	sub, err := s.q.Subscription(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.q.DeleteSubscription(ctx, id); err != nil {
		return nil, err
	}
	return sub, nil
}

// DeadLetters returns a subscription's dead letters by change Seq; ENOTFOUND when the
// subscription is absent.
func (s *Service) DeadLetters(ctx context.Context, id string) ([]gateway.WebhookDelivery, error) {
	return s.q.DeadLetters(ctx, id)
}

// Redeliver queues a dead letter again, its attempts counted from zero; ENOTFOUND when the
// subscription or the dead letter is absent.
func (s *Service) Redeliver(ctx context.Context, id, eventID string) error {
	return s.q.Redeliver(ctx, id, eventID)
}
