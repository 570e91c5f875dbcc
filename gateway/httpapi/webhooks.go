package httpapi

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/ucx-export/ucx/gateway"
	"github.com/ucx-export/ucx/gateway/decode"
	"github.com/ucx-export/ucx/gateway/webhooks"
)

// Credit change feed paging.
const (
	defaultChangesLimit = 100
	maxChangesLimit     = 1000
)

// creditChangesPage is the answer of GET /v1/credit/changes: next is the cursor to ask
// after next (the last change's seq, or after itself when there is nothing new).
type creditChangesPage struct {
	Changes []gateway.CreditChange `json:"changes"`
	Next    uint64                 `json:"next"`
}

// listCreditChanges answers the credit change feed after a cursor: ?after= (default 0),
// ?limit= (1–1000, default 100).
func (s *Server) listCreditChanges(c *gin.Context) error {
	after := uint64(0)
	if q, ok := c.GetQuery("after"); ok {
		v, err := strconv.ParseUint(q, 10, 64)
		if err != nil {
			return gateway.Errorf(gateway.EINVALID, "after must be a change seq: a whole number from 0", "after 应为变更序号（不小于0的整数）").
				WithDetails(gateway.Detail{Pointer: "after", Code: gateway.EINVALID, Message: "not a seq", MessageZh: "不是有效序号"})
		}
		after = v
	}
	limit := defaultChangesLimit
	if q, ok := c.GetQuery("limit"); ok {
		v, err := strconv.Atoi(q)
		if err != nil || v < 1 || v > maxChangesLimit {
			return gateway.Errorf(gateway.EINVALID, "limit must be 1–1000", "limit 应为 1 至 1000").
				WithDetails(gateway.Detail{Pointer: "limit", Code: gateway.EINVALID, Message: "out of range", MessageZh: "超出范围"})
		}
		limit = v
	}
	if s.creditFeed == nil {
		return gateway.Errorf(gateway.EUNAVAILABLE, "the ledger does not serve the credit change feed", "账本未提供信用变更流")
	}
	changes, err := s.creditFeed.CreditChanges(c.Request.Context(), after, limit)
	if err != nil {
		return err
	}
	page := creditChangesPage{Changes: changes, Next: after}
	if page.Changes == nil {
		page.Changes = []gateway.CreditChange{}
	}
	if n := len(page.Changes); n > 0 {
		page.Next = page.Changes[n-1].Seq
	}
	c.JSON(http.StatusOK, page)
	return nil
}

// webhookService returns the subscription service, or EUNAVAILABLE when webhooks are off.
func (s *Server) webhookService() (*webhooks.Service, error) {
	if s.webhooks == nil {
		return nil, gateway.Errorf(gateway.EUNAVAILABLE, "webhooks are disabled on this gateway (--webhooks)", "本网关未启用推送（--webhooks）")
	}
	return s.webhooks, nil
}

// createdSubscription is a new subscription with its secret: the only answer that shows it.
type createdSubscription struct {
	gateway.WebhookSubscription
	Secret string `json:"secret"`
}

// subscriptionOrg is the organisation whose subscriptions an agency caller manages (its own
// only); ok is false for admin and without a principal (every subscription).
func subscriptionOrg(c *gin.Context) (org string, ok bool) {
	p := gateway.PrincipalFrom(c.Request.Context())
	if p == nil || p.Role == gateway.RoleAdmin {
		return "", false
	}
	return string(p.Role), true
}

// ownSubscription reads a subscription the caller may manage; another agency's is ENOTFOUND.
func ownSubscription(c *gin.Context, svc *webhooks.Service) (*gateway.WebhookSubscription, error) {
	sub, err := svc.Subscription(c.Request.Context(), c.Param("id"))
	if err != nil {
		return nil, err
	}
	if org, ok := subscriptionOrg(c); ok && sub.Org != org {
		return nil, gateway.Errorf(gateway.ENOTFOUND, "subscription not found", "未找到订阅")
	}
	return sub, nil
}

// createSubscription subscribes an agency's URL to the credit changes: an agency subscribes
// for itself (the body's org, when given, must be its own); admin names the agency.
func (s *Server) createSubscription(c *gin.Context) error {
	svc, err := s.webhookService()
	if err != nil {
		return err
	}
	body, err := readJSONBody(c, maxFilingBody)
	if err != nil {
		return err
	}
	var req webhooks.SubscriptionRequest
	if err := decode.Strict(body, &req); err != nil {
		return err
	}
	if _, ok := subscriptionOrg(c); ok {
		if req.Org, err = actingOrg(c, req.Org); err != nil {
			return err
		}
	}
	sub, err := svc.Subscribe(c.Request.Context(), req)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, createdSubscription{WebhookSubscription: *sub, Secret: sub.Secret})
	return nil
}

func (s *Server) listSubscriptions(c *gin.Context) error {
	svc, err := s.webhookService()
	if err != nil {
		return err
	}
	org := c.Query("org")
	if own, ok := subscriptionOrg(c); ok {
		if org != "" && org != own {
			return gateway.Errorf(gateway.EFORBIDDEN, "an agency lists its own subscriptions only", "机构只能查看本机构的订阅").
				WithDetails(gateway.Detail{Pointer: "org", Code: gateway.EFORBIDDEN, Message: "not the caller's organisation", MessageZh: "非调用方所属机构"})
		}
		org = own
	}
	subs, err := svc.Subscriptions(c.Request.Context(), org)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"subscriptions": subs})
	return nil
}

func (s *Server) getSubscription(c *gin.Context) error {
	svc, err := s.webhookService()
	if err != nil {
		return err
	}
	sub, err := ownSubscription(c, svc)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, sub)
	return nil
}

// deleteSubscription removes a subscription with its queue and dead letters and answers it.
func (s *Server) deleteSubscription(c *gin.Context) error {
	svc, err := s.webhookService()
	if err != nil {
		return err
	}
	if _, err := ownSubscription(c, svc); err != nil {
		return err
	}
	sub, err := svc.Unsubscribe(c.Request.Context(), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, sub)
	return nil
}

func (s *Server) listDeadLetters(c *gin.Context) error {
	svc, err := s.webhookService()
	if err != nil {
		return err
	}
	if _, err := ownSubscription(c, svc); err != nil {
		return err
	}
	dead, err := svc.DeadLetters(c.Request.Context(), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"deadLetters": dead})
	return nil
}

// redeliver queues a dead letter again; the deliverer sends it within a poll.
func (s *Server) redeliver(c *gin.Context) error {
	svc, err := s.webhookService()
	if err != nil {
		return err
	}
	if _, err := ownSubscription(c, svc); err != nil {
		return err
	}
	id, eventID := c.Param("id"), c.Param("eventId")
	if err := svc.Redeliver(c.Request.Context(), id, eventID); err != nil {
		return err
	}
	c.JSON(http.StatusAccepted, gin.H{"subscriptionId": id, "eventId": eventID, "status": "queued"})
	return nil
}
