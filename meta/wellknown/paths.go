// Package wellknown names backup payloads without a manifest
// (FORMATS.md 1.10): a table of paths every iPhone backup is likely to
// hold, the camera roll's naming pattern, and the databases whose own
// tables say what they are. A fileID is the SHA-1 of "domain-path", so a
// guessed name is proved by a payload with that ID.
package wellknown

import (
	"strings"
	"sync"

	"github.com/iosphotofs/iosphotofs/meta/backup"
	"golang.org/x/text/unicode/norm"
)

// Path is a file of a backup: its domain and relative path.
type Path struct{ Domain, Rel string }

// paths lists well-known files by domain, from what forensic tools
// (iLEAPP, mvt, iphone-backup-analyzer) read out of real backups. A wrong
// guess costs one hash and names nothing. Databases get their -wal, -shm
// and -journal siblings in Table.
var paths = map[string][]string{
	"HomeDomain": {
		"Library/SMS/sms.db",
		"Library/SMS/prewarm.db",
		"Library/SMS/CloudKitMetaData/CloudKitMetaData.db",
		"Library/AddressBook/AddressBook.sqlitedb",
		"Library/AddressBook/AddressBookImages.sqlitedb",
		"Library/Calendar/Calendar.sqlitedb",
		"Library/Calendar/Extras.db",
		"Library/Notes/notes.sqlite",
		"Library/Notes/notes.idx",
		"Library/CallHistoryDB/CallHistory.storedata",
		"Library/CallHistory/call_history.db",
		"Library/Voicemail/voicemail.db",
		"Library/Safari/History.db",
		"Library/Safari/Bookmarks.db",
		"Library/Safari/BrowserState.db",
		"Library/Safari/CloudTabs.db",
		"Library/Safari/SafariTabs.db",
		"Library/Safari/RecentlyClosedTabs.plist",
		"Library/Safari/SuspendState.plist",
		"Library/Accounts/Accounts3.sqlite",
		"Library/Accounts/Accounts4.sqlite",
		"Library/Cookies/Cookies.binarycookies",
		"Library/TCC/TCC.db",
		"Library/FrontBoard/applicationState.db",
		"Library/Passes/passes23.sqlite",
		"Library/Maps/History.mapsdata",
		"Library/Maps/GeoHistory.mapsdata",
		"Library/Maps/Bookmarks.plist",
		"Library/Recordings/Recordings.db",
		"Library/Health/healthdb.sqlite",
		"Library/Keyboard/dynamic-text.dat",
		"Library/Keyboard/en-dynamic.lm/dynamic-lexicon.dat",
		"Library/DataAccess/AccountInformation.plist",
		"Library/BulletinBoard/VersionedSectionInfo.plist",
		"Library/SpringBoard/IconState.plist",
		"Library/SpringBoard/LockBackground.cpbitmap",
		"Library/SpringBoard/HomeBackground.cpbitmap",
		"Library/SpringBoard/LockBackgroundThumbnail.jpg",
		"Library/SpringBoard/HomeBackgroundThumbnail.jpg",
		"Library/com.apple.itunesstored/kvs.sqlitedb",
		"Library/com.apple.itunesstored/itunesstored2.sqlitedb",
		"Library/Mail/Accounts.plist",
		"Library/MusicLibrary/MediaLibrary.sqlitedb",
		"Library/Assistant/CustomVocabulary/vocabulary.db",
		"Library/AggregateDictionary/ADDataStore.sqlitedb",
		"Library/Application Support/com.apple.remotemanagementd/RMAdminStore-Local.sqlite",
		"Library/Preferences/.GlobalPreferences.plist",
		"Library/Preferences/com.apple.springboard.plist",
		"Library/Preferences/com.apple.MobileSMS.plist",
		"Library/Preferences/com.apple.mobilephone.plist",
		"Library/Preferences/com.apple.mobilephone.speeddial.plist",
		"Library/Preferences/com.apple.preferences.datetime.plist",
		"Library/Preferences/com.apple.mobilesafari.plist",
		"Library/Preferences/com.apple.Maps.plist",
		"Library/Preferences/com.apple.weather.plist",
		"Library/Preferences/com.apple.stocks.plist",
		"Library/Preferences/com.apple.mobilecal.plist",
		"Library/Preferences/com.apple.mobilenotes.plist",
		"Library/Preferences/com.apple.mobiletimer.plist",
		"Library/Preferences/com.apple.mobileslideshow.plist",
		"Library/Preferences/com.apple.camera.plist",
		"Library/Preferences/com.apple.Music.plist",
		"Library/Preferences/com.apple.AppStore.plist",
		"Library/Preferences/com.apple.locationd.plist",
		"Library/Preferences/com.apple.accountsettings.plist",
		"Library/Preferences/com.apple.assistant.backedup.plist",
		"Library/Preferences/com.apple.assistant.support.plist",
		"Library/Preferences/com.apple.purplebuddy.plist",
		"Library/Preferences/com.apple.identityservices.idstatuscache.plist",
		"Library/Preferences/com.apple.madrid.plist",
		"Library/Preferences/com.apple.imservice.iMessage.plist",
		"Library/Preferences/com.apple.keyboard.plist",
		"Library/Preferences/com.apple.Preferences.plist",
		"Library/Preferences/com.apple.voicemail.plist",
		"Library/Preferences/com.apple.youtube.plist",
		"Library/Preferences/com.apple.icloud.findmydeviced.FMIPAccounts.plist",
	},
	"MediaDomain": {
		"Media/Recordings/Recordings.db",
		"Media/iTunes_Control/iTunes/MediaLibrary.sqlitedb",
		"Library/SMS/Attachments/.attachments-do-not-delete",
		"Library/Voicemail/voicemail.db",
	},
	"CameraRollDomain": {
		"Media/PhotoData/Photos.sqlite",
		"Media/PhotoData/PhotosAux.sqlite",
		"Media/PhotoData/MISC/DCIM_APPLE.plist",
		"Media/PhotoData/MISC/PhotoDataMisc.plist",
		"Media/PhotoData/AlbumsMetadata/AlbumsMetadata.plist",
		"Media/PhotoData/Photos.sqlite.aside",
	},
	"HealthDomain": {
		"Health/healthdb.sqlite",
		"Health/healthdb_secure.sqlite",
	},
	"KeychainDomain": {"keychain-backup.plist"},
	"WirelessDomain": {
		"Library/CallHistory/call_history.db",
		"Library/Databases/CellularUsage.db",
		"Library/Databases/DataUsage.sqlite",
		"Library/Preferences/com.apple.commcenter.plist",
		"Library/Preferences/com.apple.commcenter.device_specific_nobackup.plist",
	},
	"SystemPreferencesDomain": {
		"SystemConfiguration/com.apple.wifi.plist",
		"SystemConfiguration/com.apple.wifi-networks.plist.backup",
		"SystemConfiguration/preferences.plist",
		"SystemConfiguration/com.apple.network.identification.plist",
		"SystemConfiguration/com.apple.airport.preferences.plist",
		"SystemConfiguration/NetworkInterfaces.plist",
	},
	"RootDomain": {
		"Library/Caches/locationd/consolidated.db",
		"Library/Caches/locationd/cache_encryptedA.db",
		"Library/Lockdown/data_ark.plist",
		"Library/Preferences/com.apple.preferences.network.plist",
	},
	"ManagedPreferencesDomain": {"mobile/com.apple.webcontentfilter.plist"},
	"HomeKitDomain":            {"Library/homed/datastore3.sqlite", "Library/homed/datastore.sqlite"},
	"KeyboardDomain":           {"Library/Keyboard/dynamic-text.dat", "Library/Keyboard/UserDictionary.sqlite"},
	"TonesDomain":              {"Library/Preferences/com.apple.ToneLibrary.plist"},
	"DatabaseDomain":           {"timezone/localtime"},
	"AppDomainGroup-group.com.apple.notes": {
		"NoteStore.sqlite",
		"NotesIndexerState-Modern",
	},
	"AppDomainGroup-group.net.whatsapp.WhatsApp.shared": {
		"ChatStorage.sqlite",
		"ContactsV2.sqlite",
		"CallHistory.sqlite",
		"Axolotl.sqlite",
		"LocalKeyValue.sqlite",
		"Stickers.sqlite",
	},
	"AppDomain-net.whatsapp.WhatsApp": {
		"Documents/ChatStorage.sqlite",
		"Documents/Contacts.sqlite",
		"Library/Preferences/net.whatsapp.WhatsApp.plist",
	},
	"AppDomainGroup-group.com.apple.VoiceMemos.shared": {"Recordings/CloudRecordings.db"},
	"AppDomain-com.apple.mobilesafari": {
		"Library/Safari/History.db",
		"Library/Safari/Bookmarks.db",
		"Library/Safari/BrowserState.db",
		"Library/Safari/CloudTabs.db",
		"Library/Safari/SafariTabs.db",
		"Library/Preferences/com.apple.mobilesafari.plist",
	},
	"AppDomain-com.apple.Maps":                    {"Library/Maps/History.mapsdata", "Library/Preferences/com.apple.Maps.plist"},
	"AppDomain-com.apple.mobilecal":               {"Library/Preferences/com.apple.mobilecal.plist"},
	"AppDomainGroup-group.com.apple.stocks":       {"Library/Preferences/group.com.apple.stocks.plist"},
	"AppDomainGroup-group.com.apple.weather":      {"Library/Preferences/group.com.apple.weather.plist"},
	"AppDomain-com.burbn.instagram":               {"Library/Preferences/com.burbn.instagram.plist"},
	"AppDomain-com.facebook.Facebook":             {"Library/Preferences/com.facebook.Facebook.plist"},
	"AppDomain-com.facebook.Messenger":            {"Library/Preferences/com.facebook.Messenger.plist"},
	"AppDomainGroup-group.com.facebook.Messenger": {"lightspeed-userDatabases/lightspeed.db"},
	"AppDomain-ph.telegra.Telegraph":              {"Library/Preferences/ph.telegra.Telegraph.plist"},
	"AppDomain-com.viber":                         {"Documents/Contacts.data", "Library/Preferences/com.viber.plist"},
	"AppDomain-com.skype.skype":                   {"Library/Preferences/com.skype.skype.plist"},
	"AppDomain-com.google.Gmail":                  {"Library/Preferences/com.google.Gmail.plist"},
	"AppDomain-com.spotify.client":                {"Library/Preferences/com.spotify.client.plist"},
	"AppDomain-com.toyopagroup.picaboo":           {"Documents/gallery.encrypteddb", "Library/Preferences/com.toyopagroup.picaboo.plist"},
	"AppDomain-com.atebits.Tweetie2":              {"Library/Preferences/com.atebits.Tweetie2.plist"},
}

// dbSuffixes are the extensions of SQLite files, whose journals sit
// beside them under the same name plus a suffix.
var dbSuffixes = []string{".db", ".sqlite", ".sqlitedb", ".storedata", ".sqlite3", ".mapsdata"}

var (
	tableOnce sync.Once
	table     map[backup.ID]Path
)

// Table maps the fileID of every well-known path (and its journals) to
// the path. It is made once, on first use: hashing a few hundred names
// costs less than reading them from anywhere.
func Table() map[backup.ID]Path {
	tableOnce.Do(func() {
		table = map[backup.ID]Path{}
		for domain, rels := range paths {
			for _, rel := range rels {
				addPath(table, Path{domain, rel})
				if isDatabase(rel) {
					for _, s := range []string{"-wal", "-shm", "-journal"} {
						addPath(table, Path{domain, rel + s})
					}
				}
			}
		}
	})
	return table
}

func addPath(t map[backup.ID]Path, p Path) {
	for _, form := range Forms(p) {
		t[backup.FileID(form.Domain, form.Rel)] = form
	}
}

// Forms returns a path as given and in its other Unicode normal forms, if
// they differ: a guessed name may be stored either way (FORMATS.md 1.3).
func Forms(p Path) []Path {
	out := []Path{p}
	for _, f := range []norm.Form{norm.NFC, norm.NFD} {
		if alt := f.String(p.Rel); alt != p.Rel && alt != out[len(out)-1].Rel {
			out = append(out, Path{p.Domain, alt})
		}
	}
	return out
}

func isDatabase(rel string) bool {
	for _, s := range dbSuffixes {
		if strings.HasSuffix(rel, s) {
			return true
		}
	}
	return false
}
