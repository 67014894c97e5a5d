package wellknown

import (
	"github.com/iosphotofs/iosphotofs/meta/sqlitedb"
	"strings"
)

// databases names SQLite files by tables only they have (FORMATS.md
// 1.10), most telling first.
var databases = []struct {
	name   string
	tables []string
}{
	{"sms.db", []string{"message", "handle", "chat"}},
	{"AddressBook.sqlitedb", []string{"ABPerson"}},
	{"AddressBookImages.sqlitedb", []string{"ABFullSizeImage"}},
	{"ChatStorage.sqlite", []string{"ZWAMESSAGE"}},
	{"Photos.sqlite", []string{"ZASSET", "ZADDITIONALASSETATTRIBUTES"}},
	{"Photos.sqlite", []string{"ZGENERICASSET"}},
	{"Calendar.sqlitedb", []string{"CalendarItem"}},
	{"CallHistory.storedata", []string{"ZCALLRECORD"}},
	{"call_history.db", []string{"call"}},
	{"NoteStore.sqlite", []string{"ZICNOTEDATA"}},
	{"notes.sqlite", []string{"ZNOTE", "ZNOTEBODY"}},
	{"voicemail.db", []string{"voicemail"}},
	{"History.db", []string{"history_visits", "history_items"}},
	{"Bookmarks.db", []string{"bookmarks"}},
	{"TCC.db", []string{"access"}},
	{"Accounts3.sqlite", []string{"ZACCOUNT", "ZACCOUNTTYPE"}},
	{"MediaLibrary.sqlitedb", []string{"item", "item_extra"}},
	{"CloudRecordings.db", []string{"ZCLOUDRECORDING"}},
	{"Recordings.db", []string{"ZRECORDING"}},
	{"healthdb_secure.sqlite", []string{"samples", "quantity_samples"}},
	{"consolidated.db", []string{"CellLocation"}},
	{"DataUsage.sqlite", []string{"ZLIVEUSAGE"}},
}

// DatabaseName names a SQLite file by its tables ("sms.db"), or returns ""
// when they say nothing known.
func DatabaseName(tables []string) string {
	have := make(map[string]bool, len(tables))
	for _, t := range tables {
		have[strings.ToLower(t)] = true
	}
	for _, d := range databases {
		all := true
		for _, t := range d.tables {
			all = all && have[strings.ToLower(t)]
		}
		if all {
			return d.name
		}
	}
	return ""
}

// Attachments lists the file names of an open sms.db's attachments
// (attachment.filename, e.g. "~/Library/SMS/Attachments/0a/10/<GUID>/IMG_1234.HEIC").
func Attachments(db sqlitedb.Reader) ([]string, error) {
	var out []string
	err := db.SelectExisting("attachment", []string{"filename"}, func(v []any) error {
		if name, ok := v[0].(string); ok && name != "" {
			out = append(out, name)
		}
		return nil
	})
	return out, err
}

// AttachmentPath maps an attachment's device path to where a backup keeps
// it: MediaDomain, under Library/SMS/Attachments. The device prefix is
// unverified, so every form seen in tools is accepted; a wrong guess names
// nothing, because the fileID proves it.
func AttachmentPath(filename string) (Path, bool) {
	for _, prefix := range []string{"~/", "/var/mobile/", "/private/var/mobile/"} {
		if rel, ok := strings.CutPrefix(filename, prefix); ok && strings.HasPrefix(rel, "Library/SMS/Attachments/") {
			return Path{"MediaDomain", rel}, true
		}
	}
	return Path{}, false
}
