// Command mkfixture writes test backups with the fixture builder.
//
//	go run ./scripts/mkfixture -kind sample DIR        the standard sample (modern)
//	go run ./scripts/mkfixture -kind legacy DIR        the same as Manifest.mbdb
//	go run ./scripts/mkfixture -kind big -rows N DIR   N rows for benchmarks
//	go run ./scripts/mkfixture -kind camera -rows N [-library] [-xattrs] DIR   N camera-roll photos
//	go run ./scripts/mkfixture -kind damaged [-damage none|truncated|corrupt] DIR   a backup for recovery
//	go run ./scripts/mkfixture -kind damaged-big -rows N DIR   N payloads, no manifest (recovery benchmarks)
//	go run ./scripts/mkfixture -kind roll -rows N -payload BYTES DIR   N camera-roll photos of BYTES each
//	go run ./scripts/mkfixture -kind streams [-ilife] DIR               the test's Photo Stream store
//	go run ./scripts/mkfixture -kind streams-big -rows N DIR           N assets over 50 shared streams
//	go run ./scripts/mkfixture -kind heic -rows N [-heic FILE] DIR   N copies of a HEIC (default: a 1 MP one heif-enc makes) in one month
//	... -password PW                                   any kind, encrypted
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/iosphotofs/iosphotofs/internal/fixture"
)

func main() {
	kind := flag.String("kind", "sample", "sample, legacy, big, big-library, camera, roll, damaged, damaged-big, heic, streams or streams-big")
	rows := flag.Int("rows", 300000, "rows of a big backup")
	payload := flag.Int64("payload", 0, "bytes of one extra large payload in a big backup")
	library := flag.Bool("library", false, "camera: with a Photos.sqlite")
	photos := flag.Int("photos", 50000, "big-library: camera-roll photos among the rows")
	libraryMB := flag.Int64("library-mb", 300, "big-library: size of its Photos.sqlite, in MB")
	xattrs := flag.Bool("xattrs", false, "camera: with capture-time xattrs")
	password := flag.String("password", "", "encrypt the backup with this password (100 PBKDF2 rounds)")
	damage := flag.String("damage", "none", "damaged: none (no manifest), truncated or corrupt (its manifest)")
	heicFile := flag.String("heic", "", "heic: the HEIC photo to copy")
	ilife := flag.Bool("ilife", false, "streams: the iLifeAssetManagement layout (default: cloudphotosd)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: mkfixture [-kind sample|legacy|big|big-library|camera|roll|damaged|damaged-big|heic|streams|streams-big] [-rows N] [-photos N] [-library-mb N] [-library] [-xattrs] [-damage D] [-heic FILE] DIR")
		os.Exit(64)
	}
	if *kind == "streams" || *kind == "streams-big" {
		var s *fixture.StreamStore
		var err error
		if *kind == "streams" {
			s, err = fixture.Streams(map[bool]int{true: fixture.ILifeStore, false: fixture.CloudPhotosStore}[*ilife])
		} else {
			s, err = fixture.BigStreams(*rows)
		}
		if err == nil {
			err = s.Write(flag.Arg(0))
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "mkfixture:", err)
			os.Exit(1)
		}
		return
	}
	var b *fixture.Backup
	var err error
	switch *kind {
	case "sample", "legacy":
		b, err = fixture.Sample(*kind == "legacy")
	case "big":
		b = fixture.Big(*rows, *payload)
	case "big-library":
		b, err = fixture.BigWithLibrary(*rows, *photos, *libraryMB<<20, *payload)
	case "camera":
		b, err = fixture.Camera(*rows, *library, *xattrs)
	case "damaged":
		d, ok := map[string]fixture.Damage{"none": fixture.NoManifest, "truncated": fixture.TruncatedManifest, "corrupt": fixture.CorruptManifest}[*damage]
		if !ok {
			err = fmt.Errorf("unknown damage %q", *damage)
			break
		}
		b, err = fixture.Damaged(d)
	case "roll":
		b, err = fixture.CameraRoll(*rows, int(*payload))
	case "damaged-big":
		b, err = fixture.BigDamaged(*rows)
	case "heic":
		var data []byte
		if *heicFile == "" {
			data, err = fixture.HEIC(1152, 864)
		} else {
			data, err = os.ReadFile(*heicFile)
		}
		if err == nil {
			b, err = fixture.HEICRoll(*rows, data)
		}
	default:
		err = fmt.Errorf("unknown kind %q", *kind)
	}
	if err == nil {
		b.Encrypted, b.Password = *password != "", *password
		err = b.Write(flag.Arg(0))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkfixture:", err)
		os.Exit(1)
	}
}
