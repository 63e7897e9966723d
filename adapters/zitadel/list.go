package zitadel

import (
	"fmt"
	"strconv"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/idupdate/idupdate/adapters/zitadel/internal/zitadelpb/objectpb"
	"github.com/idupdate/idupdate/adapters/zitadel/internal/zitadelpb/userpb"
	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
)

// ListUsers' bounds (ours): how deep and/or/not queries nest, how many
// query nodes a request holds, how many values an in-list holds.
const (
	maxQueryDepth = 5
	maxQueryNodes = 50
	maxQueryIn    = 100
)

// ListUsersRequest is ListUsers: POST /v2/users. It is ZITADEL's protobuf
// message, which both wire formats decode into (the REST body by
// protojson, which refuses unknown members).
type ListUsersRequest = userpb.ListUsersRequest

// DecodeList decodes the JSON body of ListUsers: bounded by maxDepth like
// every body, then read strictly by protojson.
func DecodeList(body []byte, maxDepth int) (*ListUsersRequest, error) {
	m := &userpb.ListUsersRequest{}
	if len(body) == 0 {
		return m, nil
	}
	if err := merge.Validate(body, merge.DecodeLimits{MaxDepth: maxDepth}); err != nil {
		return nil, bodyError(describeMergeError(err, maxDepth), err)
	}
	if err := protojson.Unmarshal(body, m); err != nil {
		return nil, bodyError("the body is not the JSON this call takes", err)
	}
	return m, nil
}

// sortPaths are the document paths of the sorting columns served.
var sortPaths = map[userpb.UserFieldName]string{
	userpb.UserFieldName_USER_FIELD_NAME_USER_NAME:    usernamePath,
	userpb.UserFieldName_USER_FIELD_NAME_FIRST_NAME:   givenNamePath,
	userpb.UserFieldName_USER_FIELD_NAME_LAST_NAME:    familyNamePath,
	userpb.UserFieldName_USER_FIELD_NAME_NICK_NAME:    nickNamePath,
	userpb.UserFieldName_USER_FIELD_NAME_DISPLAY_NAME: displayNamePath,
	userpb.UserFieldName_USER_FIELD_NAME_EMAIL:        emailPath,
}

// listRequest translates ListUsers into the engine's list for t: the
// queries become one storage.Filter, the sorting column a storage.Sort,
// the list query the page. Nothing is matched here: the store evaluates
// the filter, and the engine keeps it within the client's organisation
// (its grant's tenant).
func listRequest(m *userpb.ListUsersRequest, t Target) (update.ListRequest, error) {
	q := m.GetQuery()
	var bad []update.FieldError
	if q.GetLimit() > storage.MaxLimit {
		bad = append(bad, update.FieldError{Path: "/query/limit", Rule: "max", Param: strconv.Itoa(storage.MaxLimit),
			Message: fmt.Sprintf("query.limit is larger than %d", storage.MaxLimit)})
	}
	if q.GetOffset() > storage.MaxOffset {
		bad = append(bad, update.FieldError{Path: "/query/offset", Rule: "max", Param: strconv.Itoa(storage.MaxOffset),
			Message: fmt.Sprintf("query.offset is larger than %d", storage.MaxOffset)})
	}
	req := update.ListRequest{Type: EntityType, Client: t.Client, Limit: int(q.GetLimit()), Offset: int(q.GetOffset()), Total: true}
	if col := m.GetSortingColumn(); col != userpb.UserFieldName_USER_FIELD_NAME_UNSPECIFIED {
		path, ok := sortPaths[col]
		if !ok {
			bad = append(bad, update.FieldError{Path: "/sortingColumn", Rule: "unsupported",
				Message: "sortingColumn " + col.String() + " is not supported here"})
		}
		req.Sort = &storage.Sort{Path: path, Desc: !q.GetAsc()}
	}
	var terms []storage.Filter
	tr := &queryTranslator{}
	for _, sq := range m.GetQueries() {
		f, err := tr.query(sq, 1)
		if err != nil {
			bad = append(bad, *err)
			break
		}
		terms = append(terms, f)
	}
	if len(bad) > 0 {
		return update.ListRequest{}, invalid(bad)
	}
	switch len(terms) {
	case 0:
	case 1:
		req.Filter = &terms[0]
	default:
		req.Filter = &storage.Filter{Op: storage.And, Args: terms}
	}
	return req, nil
}

// queryTranslator turns ZITADEL's search queries into filter terms,
// counting the nodes it has seen.
type queryTranslator struct{ nodes int }

func (tr *queryTranslator) query(sq *userpb.SearchQuery, depth int) (storage.Filter, *update.FieldError) {
	tr.nodes++
	switch {
	case depth > maxQueryDepth:
		return storage.Filter{}, &update.FieldError{Path: "/queries", Rule: "depth", Param: strconv.Itoa(maxQueryDepth),
			Message: fmt.Sprintf("queries nest deeper than %d levels", maxQueryDepth)}
	case tr.nodes > maxQueryNodes:
		return storage.Filter{}, &update.FieldError{Path: "/queries", Rule: "max", Param: strconv.Itoa(maxQueryNodes),
			Message: fmt.Sprintf("more than %d queries", maxQueryNodes)}
	}
	switch v := sq.GetQuery().(type) {
	case *userpb.SearchQuery_UserNameQuery:
		return text(usernamePath, v.UserNameQuery.GetUserName(), v.UserNameQuery.GetMethod())
	case *userpb.SearchQuery_LoginNameQuery:
		return text(usernamePath, v.LoginNameQuery.GetLoginName(), v.LoginNameQuery.GetMethod())
	case *userpb.SearchQuery_FirstNameQuery:
		return text(givenNamePath, v.FirstNameQuery.GetFirstName(), v.FirstNameQuery.GetMethod())
	case *userpb.SearchQuery_LastNameQuery:
		return text(familyNamePath, v.LastNameQuery.GetLastName(), v.LastNameQuery.GetMethod())
	case *userpb.SearchQuery_NickNameQuery:
		return text(nickNamePath, v.NickNameQuery.GetNickName(), v.NickNameQuery.GetMethod())
	case *userpb.SearchQuery_DisplayNameQuery:
		return text(displayNamePath, v.DisplayNameQuery.GetDisplayName(), v.DisplayNameQuery.GetMethod())
	case *userpb.SearchQuery_EmailQuery:
		return text(emailPath, v.EmailQuery.GetEmailAddress(), v.EmailQuery.GetMethod())
	case *userpb.SearchQuery_PhoneQuery:
		return text(phonePath, v.PhoneQuery.GetNumber(), v.PhoneQuery.GetMethod())
	case *userpb.SearchQuery_OrganizationIdQuery:
		return storage.Filter{Op: storage.Eq, Path: orgPath, Value: v.OrganizationIdQuery.GetOrganizationId()}, nil
	case *userpb.SearchQuery_InUserEmailsQuery:
		emails := v.InUserEmailsQuery.GetUserEmails()
		if len(emails) == 0 || len(emails) > maxQueryIn {
			return storage.Filter{}, &update.FieldError{Path: "/queries", Rule: "max", Param: strconv.Itoa(maxQueryIn),
				Message: fmt.Sprintf("inUserEmailsQuery takes 1 to %d addresses", maxQueryIn)}
		}
		or := storage.Filter{Op: storage.Or}
		for _, e := range emails {
			or.Args = append(or.Args, storage.Filter{Op: storage.Eq, Path: emailPath, Value: e})
		}
		return single(or), nil
	case *userpb.SearchQuery_AndQuery:
		return tr.group(storage.And, v.AndQuery.GetQueries(), depth)
	case *userpb.SearchQuery_OrQuery:
		return tr.group(storage.Or, v.OrQuery.GetQueries(), depth)
	case *userpb.SearchQuery_NotQuery:
		inner, err := tr.query(v.NotQuery.GetQuery(), depth+1)
		if err != nil {
			return storage.Filter{}, err
		}
		return storage.Filter{Op: storage.Not, Args: []storage.Filter{inner}}, nil
	case nil:
		return storage.Filter{}, &update.FieldError{Path: "/queries", Rule: update.RuleRequired, Message: "a query names no condition"}
	}
	name := string(sq.ProtoReflect().WhichOneof(sq.ProtoReflect().Descriptor().Oneofs().ByName("query")).JSONName())
	return storage.Filter{}, &update.FieldError{Path: "/queries", Rule: "unsupported", Message: name + " is not supported here"}
}

// group translates the queries of an and or or query.
func (tr *queryTranslator) group(op storage.Op, qs []*userpb.SearchQuery, depth int) (storage.Filter, *update.FieldError) {
	if len(qs) == 0 {
		return storage.Filter{}, &update.FieldError{Path: "/queries", Rule: update.RuleRequired, Message: "an and or or query holds no queries"}
	}
	f := storage.Filter{Op: op}
	for _, q := range qs {
		inner, err := tr.query(q, depth+1)
		if err != nil {
			return storage.Filter{}, err
		}
		f.Args = append(f.Args, inner)
	}
	return single(f), nil
}

// single unwraps an and or or of one term, which the filter refuses.
func single(f storage.Filter) storage.Filter {
	if len(f.Args) == 1 {
		return f.Args[0]
	}
	return f
}

// text translates a text query. Text compares under simple case folding
// whatever the method says (the fields' Queryable), so a method and its
// _IGNORE_CASE twin answer alike.
func text(path, value string, method objectpb.TextQueryMethod) (storage.Filter, *update.FieldError) {
	if len(value) > 200 {
		return storage.Filter{}, &update.FieldError{Path: "/queries", Rule: "max", Param: "200", Message: "a query value is longer than 200 characters"}
	}
	var op storage.Op
	switch method {
	case objectpb.TextQueryMethod_TEXT_QUERY_METHOD_EQUALS, objectpb.TextQueryMethod_TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE:
		op = storage.Eq
	case objectpb.TextQueryMethod_TEXT_QUERY_METHOD_STARTS_WITH, objectpb.TextQueryMethod_TEXT_QUERY_METHOD_STARTS_WITH_IGNORE_CASE:
		op = storage.Sw
	case objectpb.TextQueryMethod_TEXT_QUERY_METHOD_CONTAINS, objectpb.TextQueryMethod_TEXT_QUERY_METHOD_CONTAINS_IGNORE_CASE:
		op = storage.Co
	case objectpb.TextQueryMethod_TEXT_QUERY_METHOD_ENDS_WITH, objectpb.TextQueryMethod_TEXT_QUERY_METHOD_ENDS_WITH_IGNORE_CASE:
		op = storage.Ew
	default:
		return storage.Filter{}, &update.FieldError{Path: "/queries", Rule: "method", Message: "unknown text query method " + method.String()}
	}
	return storage.Filter{Op: op, Path: path, Value: value}, nil
}

// ListResponse answers ListUsers.
type ListResponse struct {
	Details       ListDetails `json:"details"`
	SortingColumn string      `json:"sortingColumn"`
	Result        []User      `json:"result"`
}

// ListDetails is ZITADEL's list details.
type ListDetails struct {
	TotalResult string `json:"totalResult"`
	Timestamp   string `json:"timestamp,omitempty"`
}
