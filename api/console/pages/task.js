// A task: who holds it, the suggested motif and the reply, the analysis G0…G8 step by step, the claim as received,
// the resolve form (managers and admins), and the audit trail. The NIR is shown in full here (and only here and on
// the invoice page); never in the title or the URL.

import { api, ApiError } from '../lib/api.js';
import { h, icon, clear, uid, replace } from '../lib/dom.js';
import { formatAmount, formatDate, formatDateTime, formatRelative } from '../lib/format.js';
import { ACTIONS, DOCUMENT_KINDS, EVENT_KINDS, INVOICE_STATUSES, SPECIALTIES, contentErrorLabel, missingDetailLabel } from '../lib/labels.js';
import { canResolve, motifLabel, store } from '../lib/store.js';
import {
  alertBox, badge, card, confirmDialog, decisionRequiredBadge, displayName, escalatedBadge, isMe, keyValues, motifBadge, overdueBadge, rulesVersionTag,
  pageHeader, person, roleLabel, routeBadge, setBusy, taskStatusBadge, timeEl, toast, traceView,
} from '../lib/ui.js';
import { invalidateCounts } from '../app.js';
import { subscribe } from '../lib/live.js';

export default async function taskPage(ctx) {
  const id = ctx.params.id;
  ctx.setTitle(`Tâche ${id}`);
  let task = await api(`/api/tasks/${encodeURIComponent(id)}`, { signal: ctx.signal });
  let flash = null; // a message kept across the reload that follows an action

  function draw() {
    const draft = resolutionDraft();
    replace(ctx.main, view(task));
    restoreDraft(draft);
  }

  /** What the manager has started in the resolution form (a redraw on a colleague's or the SLA's event keeps it). */
  function resolutionDraft() {
    const form = ctx.main.querySelector('form.resolve-form');
    if (!form) return null;
    const { action, motif, comment } = form.elements;
    const focused = form.contains(document.activeElement) ? document.activeElement.name || null : null;
    return { action: action?.value ?? '', motif: motif?.value ?? '', comment: comment?.value ?? '', focused };
  }

  function restoreDraft(draft) {
    const form = ctx.main.querySelector('form.resolve-form');
    if (!draft || !form || form.elements.comment.disabled) return;
    if (!draft.action && !draft.motif && !draft.comment) return;
    const radio = [...form.querySelectorAll('input[name="action"]')].find((r) => r.value === draft.action && !r.disabled);
    if (radio) radio.checked = true;
    if (draft.motif) form.elements.motif.value = draft.motif;
    form.elements.comment.value = draft.comment;
    form.dispatchEvent(new Event('change'));
    const focus = draft.focused === 'action' ? radio : draft.focused ? form.elements[draft.focused] : null;
    focus?.focus?.({ preventScroll: true });
  }

  async function reload() {
    task = await api(`/api/tasks/${encodeURIComponent(id)}`, { signal: ctx.signal });
    draw();
  }

  async function act(button, busyLabel, fn) {
    setBusy(button, true, busyLabel);
    try {
      await fn();
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) {
        flash = alertBox('warning', 'La tâche a changé entre-temps', error.message, { role: 'alert' });
        toast(error.message, 'danger');
        await reload();
        return;
      }
      throw error;
    } finally {
      if (button.isConnected) setBusy(button, false);
    }
  }

  const claim = (button) => act(button, 'Prise en charge…', async () => {
    await api(`/api/tasks/${encodeURIComponent(id)}/claim`, { method: 'POST', body: {} });
    toast('Tâche prise en charge : elle vous est assignée.');
    invalidateCounts();
    await reload();
    document.getElementById('resolve-title')?.scrollIntoView({ block: 'nearest' });
    document.querySelector('input[name="action"]')?.focus();
  });

  const release = (button) => act(button, 'Libération…', async () => {
    await api(`/api/tasks/${encodeURIComponent(id)}/release`, { method: 'POST', body: {} });
    toast('Tâche libérée : elle retourne dans la file.');
    invalidateCounts();
    await reload();
  });

  function view(t) {
    const d = t.decision ?? {};
    const open = t.status === 'open';
    const invoiceHref = `/console/factures/${encodeURIComponent(t.archiveKey)}`;
    const header = pageHeader({
      back: { href: '/console/taches', label: 'Toutes les tâches' },
      eyebrow: `Tâche ${t.id}`,
      title: h('span', null, 'Critère ', h('span', { class: 'mono' }, t.archiveKey)),
      badges: [taskStatusBadge(t), overdueBadge(t), escalatedBadge(t), open && t.waitsForDecision ? decisionRequiredBadge() : null],
      meta: [
        h('span', null, 'Créée ', timeEl(t.createdAt)),
        open ? h('span', { class: t.overdue ? 'text-danger' : null }, 'Échéance ', timeEl(t.dueAt), ` (${formatRelative(t.dueAt)})`) : null,
        t.practitionerNumber ? h('span', null, 'N° PS ', h('span', { class: 'mono' }, t.practitionerNumber)) : null,
        t.batchId ? h('span', null, 'Lot ', store.features.batches
          ? h('a', { href: `/console/lots/${encodeURIComponent(t.batchId)}`, class: 'mono' }, t.batchId)
          : h('span', { class: 'mono' }, t.batchId)) : null,
      ],
      actions: [h('a', { class: 'btn btn-secondary', href: invoiceHref }, icon('file'), 'Voir la facture')],
    });

    const page = h('div', { class: 'page page-task' },
      header,
      flash,
      holderBar(t),
      h('div', { class: 'task-grid' },
        h('div', { class: 'task-main' },
          card('Analyse de la facture', traceView(d.trace, { summary: true }), {
            id: 'trace', icon: 'flow',
            actions: h('span', { class: 'muted small' }, 'Ordre du mode opératoire : la première étape qui trouve un motif l’emporte'),
          }),
          invoiceCard(t)),
        h('div', { class: 'task-side' },
          open ? null : resolutionCard(t),
          decisionCard(t),
          open ? resolveCard(t) : null,
          eventsCard(t))));
    flash = null;
    return page;
  }

  function holderBar(t) {
    if (t.status !== 'open') return null;
    const mine = isMe(t.assignee);
    const resolver = canResolve();
    if (!resolver) {
      return h('div', { class: 'holder holder-readonly' }, icon('eye'),
        h('p', null, `Lecture seule : votre profil (${roleLabel(store.session?.role)}) ne permet pas de traiter les tâches.`),
        t.assignee ? h('span', { class: 'holder-who' }, 'Assignée à ', person(t.assignee)) : null);
    }
    if (!t.assignee) {
      return h('div', { class: 'holder holder-free' }, icon('inbox'),
        h('p', null, h('strong', null, 'Personne ne traite cette tâche. '), 'Prenez-la pour la traiter : elle vous sera assignée.'),
        h('button', { type: 'button', class: 'btn btn-primary', onclick: (e) => claim(e.currentTarget) }, icon('user-plus'), 'Prendre la tâche'));
    }
    if (mine) {
      return h('div', { class: 'holder holder-mine' }, icon('user'),
        h('p', null, h('strong', null, 'Vous traitez cette tâche'), t.claimedAt ? ` depuis ${formatDateTime(t.claimedAt)}` : '', '.'),
        h('button', { type: 'button', class: 'btn btn-secondary', onclick: (e) => release(e.currentTarget) }, icon('user-minus'), 'Libérer'));
    }
    return h('div', { class: 'holder holder-other' }, icon('lock'),
      h('p', null, h('strong', null, `Prise en charge par ${displayName(t.assignee)}`), t.claimedAt ? ` depuis ${formatDateTime(t.claimedAt)}` : '',
        '. Elle seule peut la traiter ou la libérer.'),
      store.session?.role === 'admin'
        ? h('button', { type: 'button', class: 'btn btn-secondary', onclick: (e) => release(e.currentTarget) }, icon('user-minus'), 'Libérer (admin)')
        : null);
  }

  /** Why a case meant for the PS, or an analysis, came back to a manager at run time (the last Routing line). */
  function whyManager(d) {
    const last = (d.trace ?? []).at(-1);
    if (last?.step !== 'Routing' || !['mailRefused', 'analysisFailed'].includes(last.check)) return null;
    const reason = last.facts?.[0] ?? '';
    if (last.check === 'analysisFailed') {
      return alertBox('danger', 'L’analyse n’a pas pu aller au bout', h('div', null, h('p', { class: 'mono small' }, reason),
        h('p', null, 'La même erreur s’est répétée : décidez du motif, ou relancez l’analyse une fois la cause corrigée.')));
    }
    return alertBox('danger', 'La réponse au PS n’a pas pu être envoyée', h('div', null, h('p', null, reason),
      h('p', null, 'Corrigez l’adresse du PS dans AGAPS puis « Répondre au PS » avec ce motif, ou décidez autrement.')));
  }

  function decisionCard(t) {
    const d = t.decision ?? {};
    const motif = store.motifByCode.get(t.motif);
    const waits = t.waitsForDecision ?? motif?.waitsForDecision;
    return card('Motif proposé par l’analyse', [
      h('div', { class: 'decision-motif' }, motifBadge(t.motif, { large: true }), routeBadge(d.route ?? 'manager')),
      h('div', { class: 'decision-version' }, rulesVersionTag(d.rulesVersion, { showMissing: true })),
      waits && t.status === 'open'
        ? alertBox('warning', `« ${motifLabel(t.motif)} » attend votre décision`,
          'La facture ne peut pas se terminer sans elle : le traitement reste suspendu tant que la tâche n’est pas résolue.')
        : null,
      whyManager(d),
      keyValues([
        d.detail?.length ? ['Détail manquant', h('ul', { class: 'plain-list' }, d.detail.map((code) => h('li', null, missingDetailLabel(code))))] : null,
        d.error ? ['Incohérence', contentErrorLabel(d.error)] : null,
        d.date ? ['Date', formatDate(d.date)] : null,
        d.comment ? ['Commentaire', d.comment] : null,
        d.dematerialise ? ['Saisie', 'Saisie pour dématérialisation'] : null,
        d.email ? ['E-mail du PS', d.email] : null,
      ]),
      d.reply
        ? h('figure', { class: 'reply-preview' },
          h('figcaption', null, icon('mail'), 'Réponse à votre réclamation', h('span', { class: 'muted' }, ' · texte du motif')),
          h('blockquote', null, d.reply))
        : null,
    ], { id: 'decision', icon: 'alert', class: 'card-decision' });
  }

  function resolveCard(t) {
    if (!canResolve()) return null;
    const mine = isMe(t.assignee);
    const formId = uid('resolve');
    const error = h('div', { 'aria-live': 'assertive' });
    const motifId = uid('motif');
    const commentId = uid('comment');
    const motifError = h('p', { class: 'field-error', id: `${motifId}-error` });
    const commentError = h('p', { class: 'field-error', id: `${commentId}-error` });
    const motifSelect = h('select', { id: motifId, name: 'motif', class: 'input', 'aria-describedby': `${motifId}-help ${motifId}-error` },
      h('option', { value: '' }, '— Choisir le motif de la réponse —'),
      h('optgroup', { label: 'Réponse envoyée au PS par e-mail' },
        store.motifs.filter((m) => m.routing !== 'manager').map((m) => h('option', { value: m.code }, m.label))),
      h('optgroup', { label: 'Retour au gestionnaire Almerys (nouvelle tâche)' },
        store.motifs.filter((m) => m.routing === 'manager').map((m) => h('option', { value: m.code }, m.label))));
    const motifField = h('div', { class: 'field', hidden: true },
      h('label', { for: motifId, class: 'label' }, 'Motif de la réponse ', h('span', { class: 'required', 'aria-hidden': 'true' }, '*')),
      motifSelect,
      h('p', { class: 'help', id: `${motifId}-help` }, 'La réponse au PS sera le texte du mode opératoire pour ce motif.'),
      motifError);
    const comment = h('textarea', { id: commentId, name: 'comment', class: 'input', rows: '3', maxlength: '500', 'aria-describedby': `${commentId}-error` });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', disabled: true }, 'Choisissez une décision');

    const choices = Object.entries(ACTIONS).map(([value, a]) => {
      const inputId = uid(`action-${value}`);
      return h('div', { class: ['choice', `choice-${a.tone}`] },
        h('input', { type: 'radio', name: 'action', value, id: inputId, class: 'choice-input', 'aria-describedby': `${inputId}-help`, disabled: !mine }),
        h('label', { for: inputId, class: 'choice-label' },
          h('span', { class: 'choice-icon' }, icon(a.icon)),
          h('span', { class: 'choice-text' }, h('span', { class: 'choice-title' }, a.label), h('span', { class: 'choice-help', id: `${inputId}-help` }, a.help))));
    });

    const form = h('form', { id: formId, class: 'resolve-form', novalidate: true },
      mine ? null : alertBox('info', null, t.assignee ? 'Seule la personne qui a pris la tâche peut la résoudre.' : 'Prenez d’abord la tâche pour pouvoir la résoudre.'),
      h('fieldset', { class: 'choices', disabled: !mine },
        h('legend', { class: 'label' }, 'Décision'), choices),
      motifField,
      h('div', { class: 'field' },
        h('label', { for: commentId, class: 'label' }, 'Commentaire ', h('span', { class: 'muted' }, '(facultatif, conservé dans l’historique)')),
        comment, commentError),
      error,
      submit);
    if (!mine) { comment.disabled = true; }

    form.addEventListener('change', () => {
      const action = form.elements.action.value;
      motifField.hidden = action !== 'reply';
      submit.disabled = !action || !mine;
      replace(submit, action ? ACTIONS[action].label : 'Choisissez une décision');
      submit.className = `btn btn-block ${action === 'pay' ? 'btn-success' : 'btn-primary'}`;
    });

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clear(error); clear(motifError); clear(commentError);
      motifSelect.removeAttribute('aria-invalid');
      const action = form.elements.action.value;
      if (!action) return;
      if (action === 'reply' && !motifSelect.value) {
        motifSelect.setAttribute('aria-invalid', 'true');
        motifError.append(icon('alert'), 'Choisissez le motif de la réponse.');
        motifSelect.focus();
        return;
      }
      if (action === 'pay' && !(await confirmPay(t))) return;
      const body = { action };
      if (action === 'reply') body.motif = motifSelect.value;
      if (comment.value.trim()) body.comment = comment.value.trim();
      setBusy(submit, true, 'Enregistrement…');
      try {
        const result = await api(`/api/tasks/${encodeURIComponent(id)}/resolve`, { method: 'POST', body });
        invalidateCounts();
        flash = outcomeAlert(result, action, body.motif, await nextTask());
        toast(`Tâche résolue : ${ACTIONS[action].label}.`);
        await reload();
        document.getElementById('page-title')?.focus();
      } catch (err) {
        setBusy(submit, false);
        replace(submit, ACTIONS[action].label);
        if (err instanceof ApiError && err.status === 400 && err.errors.length) {
          for (const e of err.errors) {
            const target = /motif/.test(e.path) ? motifError : /comment/.test(e.path) ? commentError : error;
            target.append(icon('alert'), e.message);
            if (target === motifError) motifSelect.setAttribute('aria-invalid', 'true');
          }
          return;
        }
        if (err instanceof ApiError && err.status === 409) {
          flash = alertBox('warning', 'La tâche a changé entre-temps', err.message, { role: 'alert' });
          await reload();
          return;
        }
        if (err instanceof ApiError && err.status === 403) {
          error.append(alertBox('danger', 'Accès refusé', 'Votre profil ne permet pas de résoudre cette tâche.'));
          return;
        }
        error.append(alertBox('danger', 'La décision n’a pas été enregistrée', err.message));
      }
    });

    return card('Traiter la tâche', form, { id: 'resolve', icon: 'check-circle', class: 'card-resolve' });
  }

  /** « Forcer le paiement » ends the invoice paid and nothing goes to the PS: asked once more, saying so, before it is sent. */
  function confirmPay(t) {
    const inv = t.invoice ?? {};
    const amounts = [
      inv.totalAmount !== undefined && inv.totalAmount !== null ? `montant total ${formatAmount(inv.totalAmount)}` : null,
      inv.requestedRc !== undefined && inv.requestedRc !== null ? `part RC demandée ${formatAmount(inv.requestedRc)}` : null,
    ].filter(Boolean).join(', ');
    return confirmDialog({
      id: 'confirm-pay',
      title: 'Forcer le paiement ?',
      body: [
        h('p', null, 'La facture ', h('strong', { class: 'mono' }, t.archiveKey), amounts ? ` (${amounts})` : '',
          ' sera saisie et payée malgré le motif ', h('strong', null, `« ${motifLabel(t.motif)} »`), ' proposé par l’analyse.'),
        h('p', null, 'Aucune réponse ne sera envoyée au PS. La tâche sera résolue à votre nom ; la décision est définitive.'),
      ],
      confirmLabel: 'Confirmer le paiement',
      tone: 'success',
    });
  }

  /** The next task to work on: the first open one of the inbox (overdue first) that is free or already mine. */
  async function nextTask() {
    try {
      const list = await api('/api/tasks', { query: { status: 'open', limit: 20 } });
      return (list.items ?? []).find((x) => x.id !== id && (!x.assignee || isMe(x.assignee))) ?? null;
    } catch {
      return null;
    }
  }

  function outcomeAlert(result, action, motif, next) {
    const outcome = result?.outcome ?? {};
    const status = INVOICE_STATUSES[outcome.status];
    return alertBox('success', `Décision enregistrée : ${ACTIONS[action].label}${motif ? ` (${motifLabel(motif)})` : ''}.`,
      h('p', null, 'Facture : ', status ? badge(status.label, status.tone, { icon: status.icon }) : outcome.status ?? 'mise à jour en cours',
        ' ', h('a', { href: `/console/factures/${encodeURIComponent(task.archiveKey)}` }, 'Suivre la facture'),
        outcome.nextTaskId ? [' · Nouvelle tâche : ', h('a', { href: `/console/taches/${encodeURIComponent(outcome.nextTaskId)}`, 'data-force': '1' }, outcome.nextTaskId)] : null),
      {
        role: 'status',
        extra: next
          ? h('p', null, h('a', { class: 'btn btn-small btn-secondary', href: `/console/taches/${encodeURIComponent(next.id)}` },
            'Tâche suivante : ', h('span', { class: 'mono' }, next.archiveKey), ` · ${motifLabel(next.motif)}`, icon('chevron-right')))
          : h('p', null, h('a', { href: '/console/taches' }, 'Retour à la file des tâches')),
      });
  }

  function resolutionCard(t) {
    const r = t.resolution ?? {};
    const a = ACTIONS[r.action];
    return card('Décision du gestionnaire', [
      h('div', { class: 'resolution' },
        badge(a?.label ?? r.action ?? '—', a?.tone ?? 'neutral', { icon: a?.icon, solid: true }),
        r.action === 'reply' && r.motif ? motifBadge(r.motif) : null),
      keyValues([
        ['Par', person(t.resolvedBy)],
        ['Le', timeEl(t.resolvedAt, { withRelative: true })],
        r.comment ? ['Commentaire', r.comment] : null,
      ]),
    ], { id: 'resolution', icon: 'check-circle', class: 'card-resolution' });
  }

  function eventsCard(t) {
    const events = [...(t.events ?? [])].sort((a, b) => new Date(a.at) - new Date(b.at));
    return card('Historique de la tâche', events.length
      ? h('ol', { class: 'events' }, events.map((e) => {
        const k = EVENT_KINDS[e.kind] ?? { label: e.kind, icon: 'info', tone: 'neutral' };
        return h('li', { class: ['event', `tone-${k.tone}`] },
          h('span', { class: 'event-icon' }, icon(k.icon)),
          h('div', { class: 'event-body' },
            h('p', { class: 'event-title' }, h('strong', null, k.label), e.actor ? [' · ', displayName(e.actor)] : null),
            h('p', { class: 'event-time' }, timeEl(e.at, { withRelative: true, seconds: true })),
            eventDetails(e)));
      }))
      : h('p', { class: 'muted' }, 'Aucun événement.'),
    { id: 'events', icon: 'clock' });
  }

  function eventDetails(e) {
    const d = e.details;
    if (!d || typeof d !== 'object') return d ? h('p', { class: 'event-details' }, String(d)) : null;
    const parts = [];
    if (d.action) parts.push(ACTIONS[d.action]?.label ?? d.action);
    if (d.motif) parts.push(motifLabel(d.motif));
    if (d.comment) parts.push(`« ${d.comment} »`);
    if (d.nextTaskId) parts.push(`nouvelle tâche ${d.nextTaskId}`);
    if (d.reason) parts.push(d.reason);
    if (d.message) parts.push(d.message);
    return parts.length ? h('p', { class: 'event-details' }, parts.join(' · ')) : null;
  }

  function invoiceCard(t) {
    const inv = t.invoice ?? {};
    const ps = t.practitioner;
    const b = inv.beneficiary ?? {};
    const flags = inv.flags ?? {};
    const FLAG_LABELS = [
      ['readable', 'Document lisible', true], ['matchesTask', 'Conforme à la tâche GTO', true],
      ['tpBoxTicked', 'Case tiers payant cochée', true], ['carePathRespected', 'Parcours de soins respecté', true],
      ['ro100', 'Pris en charge à 100 % par le RO', false], ['insuredShareStated', 'Part assuré indiquée', false],
      ['addressedToInsured', 'Adressée à l’assuré', false], ['complementRequest', 'Demande de complément', false],
    ];
    const acts = inv.acts ?? [];
    return card('Facture reçue', [
      keyValues([
        ['N° de facture', inv.invoiceNumber ? h('span', { class: 'mono' }, inv.invoiceNumber) : null],
        ['Date de la facture', inv.invoiceDate ? formatDate(inv.invoiceDate) : null],
        ['Document', DOCUMENT_KINDS[inv.kind] ?? inv.kind],
        ['Spécialité', inv.specialty ? `${SPECIALTIES[inv.specialty] ?? inv.specialty} (${inv.specialty})` : null],
        ['PS', h('span', null, h('span', { class: 'mono' }, inv.practitionerNumber ?? '—'), ps?.name ? ` · ${ps.name}` : '')],
        ['E-mail du PS', ps?.headerEmail ?? null],
        ['Bénéficiaire', [b.lastName, b.firstName].filter(Boolean).join(' ') || null],
        ['NIR', b.nir ? h('span', { class: 'mono nir' }, b.nir) : null],
        ['Naissance', b.birthDate ? `${formatDate(b.birthDate)}${b.birthRank ? ` · rang ${b.birthRank}` : ''}` : null],
        ['N° Adeli', inv.adeliNumbers?.length ? inv.adeliNumbers.join(', ') : null],
        ['Montant total', inv.totalAmount !== undefined && inv.totalAmount !== null ? h('strong', null, formatAmount(inv.totalAmount)) : null],
        ['Part RC demandée', inv.requestedRc !== undefined && inv.requestedRc !== null ? h('strong', null, formatAmount(inv.requestedRc)) : null],
      ], { columns: 2 }),
      acts.length ? h('div', { class: 'table-scroll' }, h('table', { class: 'table table-compact' },
        h('caption', null, `Actes (${acts.length})`),
        h('thead', null, h('tr', null, ['Code', 'Date des soins', 'Coef.', 'Qté', 'Prix unitaire', 'Montant', 'Taux RO'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', null, acts.map((a) => h('tr', null,
          h('td', { class: 'mono strong' }, a.code ?? '—'), h('td', null, formatDate(a.date)), h('td', { class: 'num' }, a.coefficient ?? '—'),
          h('td', { class: 'num' }, a.quantity ?? '—'), h('td', { class: 'num' }, formatAmount(a.unitPrice)), h('td', { class: 'num' }, formatAmount(a.amount)),
          h('td', { class: 'num' }, a.roRate !== undefined && a.roRate !== null ? `${a.roRate} %` : '—')))))) : h('p', { class: 'muted' }, 'Aucun acte sur la facture.'),
      h('ul', { class: 'flags', 'aria-label': 'Indicateurs de la facture' }, FLAG_LABELS.filter(([k]) => k in flags).map(([k, label, good]) => {
        const on = Boolean(flags[k]);
        const ok = on === good;
        return h('li', { class: ['flag', ok ? 'flag-ok' : 'flag-ko'] }, icon(on ? 'check' : 'x'), h('span', null, label), h('span', { class: 'visually-hidden' }, on ? ' : oui' : ' : non'));
      })),
      inv.documents?.length ? h('p', { class: 'docs' }, h('strong', null, 'Documents joints : '), inv.documents.map((doc) => DOCUMENT_KINDS[doc.kind] ?? doc.kind).join(', ')) : null,
    ], { id: 'invoice', icon: 'file' });
  }

  draw();
  // Live: another person's action on this task (or a break in the stream) redraws it; one's own actions reload already,
  // except a resolution the workflow applies after answering (202).
  ctx.onCleanup(subscribe((change) => {
    if (change.kind === 'resync' || (change.taskId === id && (change.kind === 'resolved' || !isMe(change.actor)))) reload().catch(() => undefined);
  }));
}
