package api

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/google/uuid"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// newID names what the server assigns an id to (events, flows). Version 7
// UUIDs start with the time, so consecutive ids land next to each other in
// the events table's unique index: inserts append to one B-tree edge
// instead of dirtying a random page each.
func newID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}

// errorBody is the one error shape of CONTRACT §6.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string             `json:"code"`
	Message string             `json:"message"`
	Details []model.FieldError `json:"details,omitempty"`
}

// handleError maps every error to a status and the contract's shape, in one
// place. A 500 says nothing of internals; the log has them, under the
// request id the client sees in X-Request-Id.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	status, body := fiber.StatusInternalServerError, errorDetail{Code: "internal", Message: "internal error; quote the X-Request-Id header when reporting it"}
	var inv *model.InvalidError
	var fe *fiber.Error
	var stale *model.StaleVersionError
	var unavailable *model.UnavailableError
	switch {
	case errors.As(err, &inv):
		status, body = fiber.StatusBadRequest, errorDetail{Code: inv.Code, Message: inv.Message, Details: inv.Details}
	case errors.Is(err, model.ErrNotFound):
		status, body = fiber.StatusNotFound, errorDetail{Code: "not_found", Message: err.Error()}
	case errors.As(err, &stale):
		status, body = fiber.StatusConflict, errorDetail{Code: "conflict", Message: err.Error(), Details: []model.FieldError{
			{Path: "version", Message: fmt.Sprintf("the current version is %d", stale.Current)}}}
	case errors.Is(err, model.ErrConflict):
		status, body = fiber.StatusConflict, errorDetail{Code: "conflict", Message: err.Error()}
	case errors.As(err, &fe) && fe.Code == fiber.StatusRequestEntityTooLarge && fe.Message == utils.StatusMessage(fe.Code):
		// The server refused the body while reading it (over the largest
		// limit of any route): say which limit and what to do.
		status, body = fe.Code, errorDetail{Code: codeFor(fe.Code), Message: tooLargeMessage(c.Path(), s.routeLimit(c.Path()))}
	case errors.As(err, &fe):
		status, body = fe.Code, errorDetail{Code: codeFor(fe.Code), Message: fe.Message}
	case errors.As(err, &unavailable):
		// Nothing was done; the same request works once the cause passes.
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(max(1, int(math.Ceil(unavailable.RetryAfter.Seconds())))))
		status, body = fiber.StatusServiceUnavailable, errorDetail{Code: "unavailable", Message: unavailable.Message}
	case store.IsUnavailable(s.cfg.Store, err):
		// The database is down or restarting: nothing was changed, and the
		// same request will work once it is back.
		c.Set(fiber.HeaderRetryAfter, "2")
		status, body = fiber.StatusServiceUnavailable, errorDetail{Code: "unavailable", Message: "the database is unavailable; retry shortly"}
	}
	if status >= 500 {
		s.log.Error("request failed", "method", methodName(c.Method()), "path", c.Path(), "status", status,
			"request_id", c.GetRespHeader(fiber.HeaderXRequestID), "err", err)
	}
	return c.Status(status).JSON(errorBody{Error: body})
}

func codeFor(status int) string {
	switch status {
	case fiber.StatusBadRequest:
		return "bad_request"
	case fiber.StatusUnauthorized:
		return "unauthorized"
	case fiber.StatusForbidden:
		return "forbidden"
	case fiber.StatusNotFound:
		return "not_found"
	case fiber.StatusMethodNotAllowed:
		return "method_not_allowed"
	case fiber.StatusConflict:
		return "conflict"
	case fiber.StatusRequestEntityTooLarge:
		return "body_too_large"
	case fiber.StatusTooManyRequests:
		return "rate_limited"
	case fiber.StatusServiceUnavailable:
		return "unavailable"
	}
	if status >= 500 {
		return "internal"
	}
	return strings.ToLower(strings.ReplaceAll(utils.StatusMessage(status), " ", "_"))
}

// badJSON is the 400 for a body that is not valid JSON of the right shape.
func badJSON(code string, err error) error {
	return model.Invalid(code, "the request body is not valid JSON of the expected shape", model.FieldError{Message: err.Error()})
}
