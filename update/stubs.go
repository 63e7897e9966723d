package update

import "errors"

var errNoDispatcher = errors.New("update: no dispatcher configured")
